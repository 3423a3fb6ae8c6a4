package dev.allot.engine;

import com.fasterxml.jackson.core.io.schubfach.DoubleToDecimal;
import com.fasterxml.jackson.core.io.schubfach.FloatToDecimal;
import dev.allot.rules.Reason;

import java.util.Arrays;
import java.util.Map;

/**
 * A {@link DecisionRecord}'s JSON written straight into UTF-8 bytes: the same bytes Jackson's generator wrote
 * for it (the field order, the escapes, Schubfach's shortest digits for doubles and floats), without the
 * generator's per-field machinery or the sorted copies of the maps. The journal thread encodes every decision;
 * under load this was most of that thread's time (docs/benchmarks.md). {@code RecordJsonTest} holds it to
 * Jackson's output byte for byte.
 */
final class RecordJson {

    private static final byte[] HEX = "0123456789ABCDEF".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final ThreadLocal<RecordJson> LOCAL = ThreadLocal.withInitial(RecordJson::new);

    private byte[] buf = new byte[2048];
    private int n;

    private RecordJson() {
    }

    static byte[] encode(DecisionRecord r) {
        RecordJson w = LOCAL.get();
        w.n = 0;
        w.record(r);
        return Arrays.copyOf(w.buf, w.n);
    }

    private void record(DecisionRecord r) {
        raw('{');
        name("v", false);
        number(r.format());
        name("decisionId", true);
        string(r.decisionId());
        if (r.requestId() != null) {
            name("requestId", true);
            string(r.requestId());
        }
        name("city", true);
        string(r.city());
        name("day", true);
        string(r.day());
        name("ts", true);
        number(r.timestampMillis());
        if (r.clientTimestamp() != null) {
            name("clientTs", true);
            string(r.clientTimestamp().toString());
        }
        name("userId", true);
        string(r.userId());
        name("segment", true);
        string(r.segment());
        name("features", true);
        raw('{');
        String[] keys = sortedKeys(r.features());
        for (int i = 0; i < keys.length; i++) {
            name(keys[i], i > 0);
            number(r.features().get(keys[i]));
        }
        raw('}');
        name("attributes", true);
        raw('{');
        keys = sortedKeys(r.attributes());
        for (int i = 0; i < keys.length; i++) {
            name(keys[i], i > 0);
            attribute(r.attributes().get(keys[i]));
        }
        raw('}');
        name("campaigns", true);
        raw('[');
        for (int i = 0; i < r.campaigns().size(); i++) {
            if (i > 0) {
                raw(',');
            }
            string(r.campaigns().get(i));
        }
        raw(']');
        DecisionContext c = r.context();
        name("context", true);
        raw('{');
        name("coupons7d", false);
        number(c.couponsLast7Days());
        name("historyKnown", true);
        ascii(c.historyKnown() ? "true" : "false");
        name("dayDecisions", true);
        number(c.dayDecisions());
        name("daySpend", true);
        number(c.daySpend());
        name("segmentSpend", true);
        number(c.segmentSpend());
        raw('}');
        Levels l = r.levels();
        name("levels", true);
        raw('{');
        array("coupon", l.coupons(), false, false);
        array("price", l.prices(), false, true);
        array("raw", l.raw(), true, true);
        array("calibrated", l.calibrated(), true, true);
        array("value", l.values(), true, true);
        array("cost", l.costs(), true, true);
        if (l.worth() != null) {
            array("worth", l.worth(), true, true);
        }
        name("allowed", true);
        string(l.allowedMask());
        raw('}');
        name("group", true);
        string(r.group());
        name("propensity", true);
        number(r.propensity());
        name("lambda", true);
        number(r.lambda());
        name("level", true);
        if (r.level() == null) {
            ascii("null");
        } else {
            number(r.level());
        }
        name("coupon", true);
        number(r.coupon());
        name("price", true);
        number(r.price());
        name("reasons", true);
        raw('[');
        for (int i = 0; i < r.reasons().size(); i++) {
            Reason reason = r.reasons().get(i);
            if (i > 0) {
                raw(',');
            }
            raw('{');
            name("rule", false);
            string(reason.rule());
            name("effect", true);
            string(reason.effect());
            raw('}');
        }
        raw(']');
        name("modelVersion", true);
        string(r.modelVersion());
        name("rulesVersion", true);
        string(r.rulesVersion());
        raw('}');
    }

    /** As {@code DecisionCodec}'s arrays: floats to seven digits where asked, a non-finite value as null. */
    private void array(String field, double[] values, boolean asFloat, boolean comma) {
        name(field, comma);
        raw('[');
        for (int i = 0; i < values.length; i++) {
            if (i > 0) {
                raw(',');
            }
            double v = values[i];
            if (!Double.isFinite(v)) {
                ascii("null");
            } else if (asFloat) {
                ascii(FloatToDecimal.toString((float) v));
            } else {
                number(v);
            }
        }
        raw(']');
    }

    private void attribute(Object value) {
        if (value instanceof Boolean b) {
            ascii(b ? "true" : "false");
        } else if (value instanceof Long || value instanceof Integer || value instanceof Short
                || value instanceof Byte) {
            number(((Number) value).longValue());
        } else if (value instanceof Number number) {
            number(number.doubleValue());
        } else {
            string(String.valueOf(value));
        }
    }

    private static String[] sortedKeys(Map<String, ?> map) {
        String[] keys = map.keySet().toArray(new String[0]);
        Arrays.sort(keys);
        return keys;
    }

    private void name(String field, boolean comma) {
        if (comma) {
            raw(',');
        }
        string(field);
        raw(':');
    }

    /** A long's decimal digits, written in place (no string). */
    private void number(long v) {
        if (v == Long.MIN_VALUE) {
            ascii(Long.toString(v));
            return;
        }
        room(20);
        if (v < 0) {
            buf[n++] = '-';
            v = -v;
        }
        int digits = 1;
        for (long t = v; t >= 10; t /= 10) {
            digits++;
        }
        n += digits;
        for (int i = n - 1; i >= n - digits; i--) {
            buf[i] = (byte) ('0' + v % 10);
            v /= 10;
        }
    }

    /** Jackson's fast writer: Schubfach's shortest digits; a non-finite double as a quoted string. */
    private void number(double v) {
        long whole = (long) v;
        if (whole == v && whole > -10_000_000L && whole < 10_000_000L && (whole != 0 || 1 / v > 0)) {
            // Most doubles of a record are whole (prices, coupons, counts): below 10^7 their shortest digits are the
            // integer and ".0" (Schubfach's, and Double.toString's, plain notation), no search needed.
            number(whole);
            room(2);
            buf[n++] = '.';
            buf[n++] = '0';
        } else if (Double.isFinite(v)) {
            ascii(DoubleToDecimal.toString(v));
        } else {
            raw('"');
            ascii(DoubleToDecimal.toString(v));
            raw('"');
        }
    }

    private void ascii(String s) {
        int len = s.length();
        room(len);
        for (int i = 0; i < len; i++) {
            buf[n++] = (byte) s.charAt(i);
        }
    }

    /**
     * A JSON string: Jackson's escapes (the five short ones; {@code \\uXXXX} for other controls and for surrogates),
     * UTF-8 otherwise.
     */
    private void string(String s) {
        int len = s.length();
        room(len * 6 + 2);
        buf[n++] = '"';
        for (int i = 0; i < len; i++) {
            char ch = s.charAt(i);
            if (ch < 0x80) {
                if (ch >= 0x20 && ch != '"' && ch != '\\') {
                    buf[n++] = (byte) ch;
                } else {
                    escape(ch);
                }
            } else if (ch < 0x800) {
                buf[n++] = (byte) (0xC0 | (ch >> 6));
                buf[n++] = (byte) (0x80 | (ch & 0x3F));
            } else if (Character.isSurrogate(ch)) {
                // Jackson writes a character beyond the BMP as its two escaped surrogates; a lone surrogate (a
                // request can send "\\uD800") the same way, which reads back as it was.
                unicodeEscape(ch);
            } else {
                buf[n++] = (byte) (0xE0 | (ch >> 12));
                buf[n++] = (byte) (0x80 | ((ch >> 6) & 0x3F));
                buf[n++] = (byte) (0x80 | (ch & 0x3F));
            }
        }
        buf[n++] = '"';
    }

    private void escape(char ch) {
        buf[n++] = '\\';
        switch (ch) {
            case '"' -> buf[n++] = '"';
            case '\\' -> buf[n++] = '\\';
            case '\b' -> buf[n++] = 'b';
            case '\t' -> buf[n++] = 't';
            case '\f' -> buf[n++] = 'f';
            case '\n' -> buf[n++] = 'n';
            case '\r' -> buf[n++] = 'r';
            default -> {
                n--;
                unicodeEscape(ch);
            }
        }
    }

    private void unicodeEscape(char ch) {
        buf[n++] = '\\';
        buf[n++] = 'u';
        buf[n++] = HEX[(ch >> 12) & 0xF];
        buf[n++] = HEX[(ch >> 8) & 0xF];
        buf[n++] = HEX[(ch >> 4) & 0xF];
        buf[n++] = HEX[ch & 0xF];
    }

    private void raw(char c) {
        room(1);
        buf[n++] = (byte) c;
    }

    private void room(int more) {
        if (n + more > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, n + more));
        }
    }
}
