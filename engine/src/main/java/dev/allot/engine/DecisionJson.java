package dev.allot.engine;

import com.fasterxml.jackson.core.JsonProcessingException;

/**
 * A {@link Decision}'s JSON, the body every arrival is answered with, written straight into UTF-8 bytes: what
 * Jackson wrote for it (field order, absent nulls, Schubfach's digits), without the generator, the string per
 * number and the string's second encoding. {@code DecisionJsonTest} holds it to Jackson's bytes. A decision with
 * {@code candidates} ({@code ?explain=true}, a debugging aid) goes through Jackson.
 */
final class DecisionJson extends JsonBytes {

    private static final Name CITY = Name.of("city");
    private static final Name COUPON = Name.of("coupon");
    private static final Name CURRENCY = Name.of("currency");
    private static final Name DECISION_ID = Name.of("decisionId");
    private static final Name EXPECTED_CONVERSION = Name.of("expectedConversion");
    private static final Name GROUP = Name.of("group");
    private static final Name LAMBDA = Name.of("lambda");
    private static final Name LEVEL = Name.of("level");
    private static final Name MODEL_VERSION = Name.of("modelVersion");
    private static final Name PRICE = Name.of("price");
    private static final Name PROPENSITY = Name.of("propensity");
    private static final Name REASONS = Name.of("reasons");
    private static final Name RULES_VERSION = Name.of("rulesVersion");
    private static final Name USER_ID = Name.of("userId");

    private static final ThreadLocal<DecisionJson> LOCAL = ThreadLocal.withInitial(DecisionJson::new);

    private DecisionJson() {
    }

    static byte[] encode(Decision d) {
        if (d.candidates() != null) {
            try {
                return Json.MAPPER.writeValueAsBytes(d);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("cannot serialise decision", e);
            }
        }
        DecisionJson w = LOCAL.get();
        w.reset();
        w.decision(d);
        return w.bytes();
    }

    private void decision(Decision d) {
        raw('{');
        boolean comma = text(DECISION_ID, d.decisionId(), false);
        comma = text(CITY, d.city(), comma);
        comma = text(USER_ID, d.userId(), comma);
        if (d.level() != null) {
            name(LEVEL, comma);
            number(d.level().longValue());
            comma = true;
        }
        name(COUPON, comma);
        number(d.coupon());
        name(PRICE, true);
        number(d.price());
        text(CURRENCY, d.currency(), true);
        if (d.expectedConversion() != null) {
            name(EXPECTED_CONVERSION, true);
            number(d.expectedConversion().doubleValue());
        }
        text(GROUP, d.group(), true);
        name(PROPENSITY, true);
        number(d.propensity());
        name(LAMBDA, true);
        number(d.lambda());
        text(MODEL_VERSION, d.modelVersion(), true);
        text(RULES_VERSION, d.rulesVersion(), true);
        if (d.reasons() != null) {
            name(REASONS, true);
            reasons(d.reasons());
        }
        raw('}');
    }

    /** A string field, left out when null (the response's {@code NON_NULL}); whether anything was written. */
    private boolean text(Name field, String value, boolean comma) {
        if (value == null) {
            return comma;
        }
        name(field, comma);
        string(value);
        return true;
    }
}
