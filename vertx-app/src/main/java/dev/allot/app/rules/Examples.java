package dev.allot.app.rules;

import com.fasterxml.jackson.databind.JsonNode;
import dev.allot.app.decision.CityRuntime;
import dev.allot.app.http.ApiException;
import dev.allot.app.http.RequestParser;
import dev.allot.engine.DecisionContext;
import dev.allot.engine.DecisionEngine;
import dev.allot.engine.DecisionRecord;
import dev.allot.engine.DecisionRequest;
import dev.allot.rules.Guardrails;
import dev.allot.rules.Reason;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Example arrivals a business user attaches to a rule set, each with the verdict it must get: a test suite the
 * set runs at validation, through the engine exactly as a live decision would. A failing example blocks
 * approval and activation.
 *
 * <pre>{@code
 * { "name": "frequent riders get small coupons",
 *   "arrival": { "city": "demo", "userId": "u1", "segment": "high_frequency" },
 *   "history": { "couponsLast7Days": 0, "known": true },
 *   "totals": { "decisions": 100, "spend": 80, "segmentSpend": 20 },
 *   "expect": { "allowedLevels": [0, 1, 2], "rules": ["cap-high-frequency"] } }
 * }</pre>
 * {@code expect} may hold {@code allowedLevels} (exactly these), {@code denied} (only the coupon-free level, or
 * none) and {@code rules} (exactly these rules acted); {@code history} and {@code totals} are optional.
 */
public final class Examples {

    /** One example's outcome: what was expected, what the rules did, and whether they agree. */
    public record Result(String name, boolean passed, JsonNode expected, Map<String, Object> got, String problem) {
    }

    private static final Set<String> KEYS = Set.of("name", "arrival", "history", "totals", "expect");
    private static final Set<String> EXPECT = Set.of("allowedLevels", "denied", "rules");

    private Examples() {
    }

    /** Checks the examples' shape; a malformed example is the caller's error (400 naming the field). */
    public static void validate(JsonNode examples, Map<String, CityRuntime> cities) {
        if (examples == null || examples.isNull()) {
            return;
        }
        if (!examples.isArray()) {
            throw bad("examples", "examples must be a list");
        }
        for (int i = 0; i < examples.size(); i++) {
            JsonNode e = examples.get(i);
            String at = "examples[" + i + "]";
            if (!e.isObject()) {
                throw bad(at, at + " must be an object with name, arrival and expect");
            }
            e.fieldNames().forEachRemaining(k -> {
                if (!KEYS.contains(k)) {
                    throw bad(at + "." + k, "unknown key " + k + " (expected: " + String.join(", ", new TreeSet<>(KEYS))
                            + ")");
                }
            });
            if (!e.path("name").isTextual() || e.path("name").asText().isBlank()) {
                throw bad(at + ".name", at + ".name is required");
            }
            if (!e.path("arrival").isObject()) {
                throw bad(at + ".arrival", at + ".arrival is required: a decision request");
            }
            DecisionRequest request = request(e, at);
            if (!cities.containsKey(request.city())) {
                throw bad(at + ".arrival.city", "unknown city " + request.city());
            }
            JsonNode expect = e.path("expect");
            if (!expect.isObject() || expect.isEmpty()) {
                throw bad(at + ".expect", at + ".expect needs allowedLevels, denied or rules");
            }
            expect.fieldNames().forEachRemaining(k -> {
                if (!EXPECT.contains(k)) {
                    throw bad(at + ".expect." + k, "unknown expectation " + k + " (expected: "
                            + String.join(", ", new TreeSet<>(EXPECT)) + ")");
                }
            });
        }
    }

    /** Runs every example against {@code rules}; blocking-free and quick (microseconds per example). */
    public static List<Result> run(JsonNode examples, Guardrails rules, Map<String, CityRuntime> cities) {
        List<Result> results = new ArrayList<>();
        if (examples == null || !examples.isArray()) {
            return results;
        }
        for (int i = 0; i < examples.size(); i++) {
            JsonNode e = examples.get(i);
            DecisionRequest request = request(e, "examples[" + i + "]");
            CityRuntime city = cities.get(request.city());
            JsonNode h = e.path("history");
            JsonNode t = e.path("totals");
            DecisionContext context = new DecisionContext(h.path("couponsLast7Days").asLong(0),
                    h.path("known").asBoolean(!h.isMissingNode()), t.path("decisions").asLong(0),
                    t.path("spend").asDouble(0), t.path("segmentSpend").asDouble(0));
            DecisionRecord record = DecisionEngine.decide(city.setup(), rules, city.lambda(), request, context,
                    "example-" + i, 0, "example").record();
            results.add(compare(e.path("name").asText(), e.path("expect"), record,
                    city.setup().config().couponFreeLevel()));
        }
        return results;
    }

    private static Result compare(String name, JsonNode expect, DecisionRecord record, int couponFree) {
        List<Integer> allowed = new ArrayList<>();
        boolean[] flags = record.levels().allowed();
        for (int j = 0; j < flags.length; j++) {
            if (flags[j]) {
                allowed.add(j);
            }
        }
        boolean denied = allowed.isEmpty() || allowed.equals(List.of(couponFree));
        Set<String> acted = new TreeSet<>();
        record.reasons().stream().map(Reason::rule).forEach(acted::add);
        Map<String, Object> got = Map.of("allowedLevels", allowed, "denied", denied, "rules", acted);
        List<String> problems = new ArrayList<>();
        if (expect.has("allowedLevels")) {
            List<Integer> want = new ArrayList<>();
            expect.get("allowedLevels").forEach(n -> want.add(n.asInt()));
            if (!want.equals(allowed)) {
                problems.add("allowed levels " + allowed + ", expected " + want);
            }
        }
        if (expect.has("denied") && expect.get("denied").asBoolean() != denied) {
            problems.add(denied ? "denied, expected a coupon" : "not denied, expected no coupon");
        }
        if (expect.has("rules")) {
            Set<String> want = new TreeSet<>();
            expect.get("rules").forEach(n -> want.add(n.asText()));
            if (!want.equals(acted)) {
                problems.add("rules that acted " + acted + ", expected " + want);
            }
        }
        return new Result(name, problems.isEmpty(), expect, got, problems.isEmpty() ? null : String.join("; ",
                problems));
    }

    private static DecisionRequest request(JsonNode example, String at) {
        try {
            return RequestParser.decision(example.get("arrival"));
        } catch (ApiException e) {
            throw bad(at + ".arrival" + (e.field() == null ? "" : "." + e.field()), at + ".arrival: " + e.getMessage());
        }
    }

    private static ApiException bad(String field, String message) {
        return new ApiException.BadRequest("invalid_request", field, message);
    }
}
