package dev.allot.engine;

import com.fasterxml.jackson.core.io.schubfach.DoubleToDecimal;
import dev.allot.rules.Reason;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * JSON written straight into UTF-8 bytes with the service mapper's conventions (Jackson's escapes, Schubfach's
 * shortest digits for doubles, a non-finite double as a quoted string), for the documents written once per
 * decision: the record ({@link RecordJson}) and the response ({@link DecisionJson}). Jackson's generator costs a
 * few microseconds and a string per number for each; their tests hold these writers to its bytes.
 */
abstract class JsonBytes {

    private static final byte[] HEX = "0123456789ABCDEF".getBytes(StandardCharsets.US_ASCII);

    private static final Name RULE = Name.of("rule");
    private static final Name EFFECT = Name.of("effect");

    private byte[] buf = new byte[2048];
    private int n;

    /** Starts a document, reusing this writer's buffer. */
    protected final void reset() {
        n = 0;
    }

    /** The document written since {@link #reset}. */
    protected final byte[] bytes() {
        return Arrays.copyOf(buf, n);
    }

    protected final void name(String field, boolean comma) {
        if (comma) {
            raw(',');
        }
        string(field);
        raw(':');
    }

    /**
     * A field name known in advance, kept as the bytes it is written as ({@code "name":}, and with the comma before
     * it): a record has some forty of them, each escaped character by character when written from its string.
     */
    protected static final class Name {
        private final byte[] first;
        private final byte[] next;

        private Name(String field) {
            for (int i = 0; i < field.length(); i++) {
                char ch = field.charAt(i);
                if (ch < 0x20 || ch >= 0x7F || ch == '"' || ch == '\\') {
                    throw new IllegalArgumentException("a constant field name is plain ASCII: " + field);
                }
            }
            first = ('"' + field + "\":").getBytes(StandardCharsets.US_ASCII);
            next = (",\"" + field + "\":").getBytes(StandardCharsets.US_ASCII);
        }

        static Name of(String field) {
            return new Name(field);
        }
    }

    protected final void name(Name field, boolean comma) {
        byte[] b = comma ? field.next : field.first;
        room(b.length);
        System.arraycopy(b, 0, buf, n, b.length);
        n += b.length;
    }

    /** The rules' reasons, as both documents carry them: {@code [{"rule":…,"effect":…},…]}. */
    protected final void reasons(List<Reason> reasons) {
        raw('[');
        for (int i = 0; i < reasons.size(); i++) {
            Reason reason = reasons.get(i);
            if (i > 0) {
                raw(',');
            }
            raw('{');
            name(RULE, false);
            stringOrNull(reason.rule());
            name(EFFECT, true);
            stringOrNull(reason.effect());
            raw('}');
        }
        raw(']');
    }

    protected final void stringOrNull(String value) {
        if (value == null) {
            ascii("null");
        } else {
            string(value);
        }
    }

    /** A long's decimal digits, written in place (no string). */
    protected final void number(long v) {
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
    protected final void number(double v) {
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

    /** Characters below 0x80 only (digits, literals), copied as a block: their bytes are their characters. */
    @SuppressWarnings("deprecation")
    protected final void ascii(String s) {
        int len = s.length();
        room(len);
        s.getBytes(0, len, buf, n);
        n += len;
    }

    /**
     * A JSON string: Jackson's escapes (the five short ones; {@code \\uXXXX} for other controls and for surrogates),
     * UTF-8 otherwise.
     */
    protected final void string(String s) {
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

    /** Where the document is: what {@link #copy} takes to repeat bytes written earlier. */
    protected final int position() {
        return n;
    }

    /** Writes again the {@code length} bytes written at {@code from}. */
    protected final void copy(int from, int length) {
        room(length);
        System.arraycopy(buf, from, buf, n, length);
        n += length;
    }

    protected final void raw(char c) {
        room(1);
        buf[n++] = (byte) c;
    }

    private void room(int more) {
        if (n + more > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, n + more));
        }
    }
}
