package dev.allot.engine;

import com.fasterxml.jackson.core.JsonProcessingException;

/**
 * A {@link Decision}'s JSON, the body every arrival is answered with, written straight into UTF-8 bytes: what
 * Jackson wrote for it (field order, absent nulls, Schubfach's digits), without the generator, the string per
 * number and the string's second encoding. {@code DecisionJsonTest} holds it to Jackson's bytes. A decision with
 * {@code candidates} ({@code ?explain=true}, a debugging aid) goes through Jackson.
 */
final class DecisionJson extends JsonBytes {

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
        boolean comma = text("decisionId", d.decisionId(), false);
        comma = text("city", d.city(), comma);
        comma = text("userId", d.userId(), comma);
        if (d.level() != null) {
            name("level", comma);
            number(d.level().longValue());
            comma = true;
        }
        name("coupon", comma);
        number(d.coupon());
        name("price", true);
        number(d.price());
        text("currency", d.currency(), true);
        if (d.expectedConversion() != null) {
            name("expectedConversion", true);
            number(d.expectedConversion().doubleValue());
        }
        text("group", d.group(), true);
        name("propensity", true);
        number(d.propensity());
        name("lambda", true);
        number(d.lambda());
        text("modelVersion", d.modelVersion(), true);
        text("rulesVersion", d.rulesVersion(), true);
        if (d.reasons() != null) {
            name("reasons", true);
            reasons(d.reasons());
        }
        raw('}');
    }

    /** A string field, left out when null (the response's {@code NON_NULL}); whether anything was written. */
    private boolean text(String field, String value, boolean comma) {
        if (value == null) {
            return comma;
        }
        name(field, comma);
        string(value);
        return true;
    }
}
