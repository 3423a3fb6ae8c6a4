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

    private static final Name ALLOWED = Name.of("allowed");
    private static final Name ATTRIBUTES = Name.of("attributes");
    private static final Name CALIBRATED = Name.of("calibrated");
    private static final Name CAMPAIGNS = Name.of("campaigns");
    private static final Name CITY = Name.of("city");
    private static final Name CLIENT_TS = Name.of("clientTs");
    private static final Name CONTEXT = Name.of("context");
    private static final Name COST = Name.of("cost");
    private static final Name COUPON = Name.of("coupon");
    private static final Name COUPONS7D = Name.of("coupons7d");
    private static final Name DAY = Name.of("day");
    private static final Name DAY_DECISIONS = Name.of("dayDecisions");
    private static final Name DAY_SPEND = Name.of("daySpend");
    private static final Name DECISION_ID = Name.of("decisionId");
    private static final Name FEATURES = Name.of("features");
    private static final Name GROUP = Name.of("group");
    private static final Name HISTORY_KNOWN = Name.of("historyKnown");
    private static final Name LAMBDA = Name.of("lambda");
    private static final Name LEVEL = Name.of("level");
    private static final Name LEVELS = Name.of("levels");
    private static final Name MODEL_VERSION = Name.of("modelVersion");
    private static final Name PRICE = Name.of("price");
    private static final Name PROPENSITY = Name.of("propensity");
    private static final Name RAW = Name.of("raw");
    private static final Name REASONS = Name.of("reasons");
    private static final Name REQUEST_ID = Name.of("requestId");
    private static final Name RULES_VERSION = Name.of("rulesVersion");
    private static final Name SEGMENT = Name.of("segment");
    private static final Name SEGMENT_SPEND = Name.of("segmentSpend");
    private static final Name TS = Name.of("ts");
    private static final Name USER_ID = Name.of("userId");
    private static final Name V = Name.of("v");
    private static final Name VALUE = Name.of("value");
    private static final Name WORTH = Name.of("worth");

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
        name(V, false);
        number(r.format());
        name(DECISION_ID, true);
        string(r.decisionId());
        if (r.requestId() != null) {
            name(REQUEST_ID, true);
            string(r.requestId());
        }
        name(CITY, true);
        string(r.city());
        name(DAY, true);
        string(r.day());
        name(TS, true);
        number(r.timestampMillis());
        if (r.clientTimestamp() != null) {
            name(CLIENT_TS, true);
            string(r.clientTimestamp().toString());
        }
        name(USER_ID, true);
        string(r.userId());
        name(SEGMENT, true);
        string(r.segment());
        name(FEATURES, true);
        raw('{');
        String[] keys = sortedKeys(r.features());
        for (int i = 0; i < keys.length; i++) {
            name(keys[i], i > 0);
            number(r.features().get(keys[i]));
        }
        raw('}');
        name(ATTRIBUTES, true);
        raw('{');
        keys = sortedKeys(r.attributes());
        for (int i = 0; i < keys.length; i++) {
            name(keys[i], i > 0);
            attribute(r.attributes().get(keys[i]));
        }
        raw('}');
        name(CAMPAIGNS, true);
        raw('[');
        for (int i = 0; i < r.campaigns().size(); i++) {
            if (i > 0) {
                raw(',');
            }
            string(r.campaigns().get(i));
        }
        raw(']');
        DecisionContext c = r.context();
        name(CONTEXT, true);
        raw('{');
        name(COUPONS7D, false);
        number(c.couponsLast7Days());
        name(HISTORY_KNOWN, true);
        ascii(c.historyKnown() ? "true" : "false");
        name(DAY_DECISIONS, true);
        number(c.dayDecisions());
        name(DAY_SPEND, true);
        number(c.daySpend());
        name(SEGMENT_SPEND, true);
        number(c.segmentSpend());
        raw('}');
        Levels l = r.levels();
        name(LEVELS, true);
        raw('{');
        array(COUPON, l.coupons(), false, false);
        array(PRICE, l.prices(), false, true);
        array(RAW, l.raw(), true, true);
        // Calibration leaves a monotone curve as it was: most calibrated levels are the raw ones, digits and all.
        repeating(CALIBRATED, l.calibrated(), l.raw());
        array(VALUE, l.values(), true, true);
        array(COST, l.costs(), true, true);
        if (l.worth() != null) {
            array(WORTH, l.worth(), true, true);
        }
        name(ALLOWED, true);
        string(l.allowedMask());
        raw('}');
        name(GROUP, true);
        string(r.group());
        name(PROPENSITY, true);
        number(r.propensity());
        name(LAMBDA, true);
        number(r.lambda());
        name(LEVEL, true);
        if (r.level() == null) {
            ascii("null");
        } else {
            number(r.level());
        }
        name(COUPON, true);
        number(r.coupon());
        name(PRICE, true);
        number(r.price());
        name(REASONS, true);
        reasons(r.reasons());
        name(MODEL_VERSION, true);
        string(r.modelVersion());
        name(RULES_VERSION, true);
        string(r.rulesVersion());
        raw('}');
    }

    /** Where each element of the last array was written, and its length: what {@link #repeating} copies. */
    private int[] elementAt = new int[8];
    private int[] elementLength = new int[8];

    /** A float array written as {@link #array} does, each element equal to {@code earlier}'s copied from it. */
    private void repeating(Name field, double[] values, double[] earlier) {
        name(field, true);
        raw('[');
        for (int i = 0; i < values.length; i++) {
            if (i > 0) {
                raw(',');
            }
            // Equal as written: the same float, and both finite or both not (a double beyond a float's range is
            // an infinite float but a finite double).
            if (i < earlier.length && Double.isFinite(values[i]) == Double.isFinite(earlier[i])
                    && Float.floatToIntBits((float) values[i]) == Float.floatToIntBits((float) earlier[i])) {
                copy(elementAt[i], elementLength[i]);
            } else {
                element(values[i], true);
            }
        }
        raw(']');
    }

    /** As {@code DecisionCodec}'s arrays: floats to seven digits where asked, a non-finite value as null. */
    private void array(Name field, double[] values, boolean asFloat, boolean comma) {
        name(field, comma);
        raw('[');
        if (elementAt.length < values.length) {
            elementAt = new int[values.length];
            elementLength = new int[values.length];
        }
        for (int i = 0; i < values.length; i++) {
            if (i > 0) {
                raw(',');
            }
            elementAt[i] = position();
            element(values[i], asFloat);
            elementLength[i] = position() - elementAt[i];
        }
        raw(']');
    }

    private void element(double v, boolean asFloat) {
        if (!Double.isFinite(v)) {
            ascii("null");
        } else if (asFloat) {
            float f = (float) v;
            if (f == (long) f && Math.abs(f) < 1e7f || Float.isInfinite(f)) {
                // A whole float (a level without a coupon costs 0) has the digits its double has; a double beyond
                // a float's range is written as the mapper writes an infinity, quoted.
                number((double) f);
            } else {
                ascii(FloatToDecimal.toString(f));
            }
        } else {
            number(v);
        }
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

    private static final String[] NO_KEYS = new String[0];

    private static String[] sortedKeys(Map<String, ?> map) {
        if (map.isEmpty()) {
            return NO_KEYS;
        }
        String[] keys = map.keySet().toArray(NO_KEYS);
        Arrays.sort(keys);
        return keys;
    }
}
