package dev.allot.engine;

import com.fasterxml.jackson.core.io.schubfach.FloatToDecimal;

import java.util.Arrays;
import java.util.Map;

/**
 * A {@link DecisionRecord}'s JSON written straight into UTF-8 bytes: the same bytes Jackson's generator wrote
 * for it (the field order, the escapes, Schubfach's shortest digits for doubles and floats), without the
 * generator's per-field machinery or the sorted copies of the maps. The journal thread encodes every decision;
 * under load this was most of that thread's time (docs/benchmarks.md). {@code RecordJsonTest} holds it to
 * Jackson's output byte for byte.
 */
final class RecordJson extends JsonBytes {

    private static final ThreadLocal<RecordJson> LOCAL = ThreadLocal.withInitial(RecordJson::new);

    private RecordJson() {
    }

    static byte[] encode(DecisionRecord r) {
        RecordJson w = LOCAL.get();
        w.reset();
        w.record(r);
        return w.bytes();
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
        reasons(r.reasons());
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
}
