package dev.allot.app.decision;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.allot.app.Json;
import dev.allot.app.config.CityConfig;
import dev.allot.control.Candidate;
import dev.allot.control.CityTotals;
import dev.allot.control.LambdaArgmax;
import dev.allot.control.redis.DecisionEvent;
import dev.allot.rules.Arrival;
import dev.allot.rules.CouponHistory;
import dev.allot.rules.DayTotals;
import dev.allot.rules.LevelCandidate;
import dev.allot.rules.Reason;
import dev.allot.rules.RuleSet;
import dev.allot.rules.Verdict;
import dev.allot.scoring.ConversionCurve;
import dev.allot.scoring.Ladder;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.random.RandomGenerator;

/**
 * One arrival's decision, from a validated request and what the replica knows (model, rules, lambda, the
 * day's totals, the user's coupon history): the data flow Request -> feature vector -> ConversionCurve ->
 * guardrails -> choice -> Decision. Pure CPU work of a few microseconds, safe on an event loop; all I/O is the
 * caller's ({@link DecisionService}).
 */
public final class DecisionEngine {

    /** Segment recorded for arrivals that name none. */
    public static final String UNKNOWN_SEGMENT = "unknown";

    /** The decision and what it writes behind the request. */
    public record Result(Decision decision, DecisionEvent event, int unknownFeatures, boolean rawWasMonotone) {
    }

    private DecisionEngine() {
    }

    public static Result decide(CityRuntime city, RuleSet rules, DecisionRequest request, CouponHistory history,
                                boolean explain, Instant now, String day, RandomGenerator random) {
        CityRuntime.Setup setup = city.setup();
        CityConfig config = setup.config();
        Ladder ladder = config.ladder();
        int k = ladder.size();
        double lambda = city.lambda();
        String segment = request.segment() == null ? UNKNOWN_SEGMENT : request.segment();

        float[] row = new float[setup.featurePositions().size()];
        Arrays.fill(row, Float.NaN);
        int unknown = 0;
        for (Map.Entry<String, Double> f : request.features().entrySet()) {
            Integer position = setup.featurePositions().get(f.getKey());
            if (position == null) {
                unknown++;
            } else {
                row[position] = f.getValue().floatValue();
            }
        }
        ConversionCurve curve = setup.scorer().score(row);

        List<LevelCandidate> facts = new ArrayList<>(k);
        for (int j = 0; j < k; j++) {
            facts.add(new LevelCandidate(j, ladder.coupon(j), ladder.price(j), curve.at(j)));
        }
        CityTotals totals = city.totals();
        Arrival arrival = new Arrival(config.city(), request.userId(), segment, request.features(),
                request.attributes(), new HashSet<>(request.campaigns()));
        Verdict verdict = rules.evaluate(arrival, facts,
                history, new DayTotals(totals.decisions(), totals.get(CityTotals.SPEND),
                        totals.get(CityTotals.segmentSpend(segment))));
        boolean[] allowed = verdict.allowed(config.couponFreeLevel());

        double[] values = new double[k];
        double[] costs = new double[k];
        setup.pricing().valuesAndCosts(curve, values, costs);
        Group group = Group.of(config.city(), request.userId(), config.explorationShare(), config.holdoutShare());
        int level;
        double propensity = 1;
        switch (group) {
            case EXPLORATION -> {
                int n = 0;
                for (boolean a : allowed) {
                    n += a ? 1 : 0;
                }
                level = n == 0 ? LambdaArgmax.NONE : nthAllowed(allowed, random.nextInt(n));
                propensity = n == 0 ? 1 : 1.0 / n;
            }
            case HOLDOUT -> level = nearestAllowed(allowed, config.holdoutLevel());
            default -> level = LambdaArgmax.choose(values, costs, allowed, lambda);
        }

        String decisionId = config.city() + "." + new UUID(random.nextLong(), random.nextLong());
        boolean chosen = level != LambdaArgmax.NONE;
        double coupon = chosen ? ladder.coupon(level) : 0;
        double price = chosen ? ladder.price(level) : ladder.basePrice();
        Double conversion = chosen ? curve.at(level) : null;
        List<Reason> reasons = verdict.reasons();
        List<Candidate> candidates = explain
                ? List.of(setup.pricing().candidates(curve, allowed, lambda)) : null;
        Decision decision = new Decision(decisionId, config.city(), request.userId(), chosen ? level : null, coupon,
                price, config.currency(), conversion, group.label(), propensity, lambda, setup.model().version(),
                rules.version(), reasons, candidates);
        DecisionEvent event = event(decision, request, segment, curve, allowed, now, day);
        return new Result(decision, event, unknown, curve.rawWasMonotone());
    }

    private static int nthAllowed(boolean[] allowed, int n) {
        for (int j = 0, seen = 0; j < allowed.length; j++) {
            if (allowed[j] && seen++ == n) {
                return j;
            }
        }
        throw new IllegalStateException("fewer than " + (n + 1) + " allowed levels");
    }

    /** The holdout level if allowed, else the nearest allowed one below it, else above it. */
    static int nearestAllowed(boolean[] allowed, int preferred) {
        for (int j = Math.min(preferred, allowed.length - 1); j >= 0; j--) {
            if (allowed[j]) {
                return j;
            }
        }
        for (int j = preferred + 1; j < allowed.length; j++) {
            if (allowed[j]) {
                return j;
            }
        }
        return LambdaArgmax.NONE;
    }

    private static DecisionEvent event(Decision d, DecisionRequest request, String segment, ConversionCurve curve,
                                       boolean[] allowed, Instant now, String day) {
        Map<String, Double> totals = new LinkedHashMap<>();
        totals.put(CityTotals.DECISIONS, 1.0);
        totals.put(CityTotals.segmentDecisions(segment), 1.0);
        totals.put(CityTotals.groupDecisions(d.group()), 1.0);
        if (d.level() != null) {
            double r = d.expectedConversion();
            totals.put(CityTotals.CONVERSIONS, r);
            totals.put(CityTotals.REVENUE, r * d.price());
            totals.put(CityTotals.SPEND, r * d.coupon());
            totals.put(CityTotals.segmentSpend(segment), r * d.coupon());
            totals.put(CityTotals.levelDecisions(d.level()), 1.0);
            totals.put(CityTotals.OFFERED, d.coupon());
            if (d.coupon() > 0) {
                totals.put(CityTotals.COUPONS, 1.0);
            }
        }
        String level = d.level() == null ? "" : d.level().toString();
        Map<String, String> stream = new LinkedHashMap<>();
        stream.put("decisionId", d.decisionId());
        stream.put("requestId", request.requestId() == null ? "" : request.requestId());
        stream.put("ts", Long.toString(now.toEpochMilli()));
        stream.put("clientTs", request.timestamp() == null ? "" : request.timestamp().toString());
        stream.put("userId", d.userId());
        stream.put("segment", segment);
        stream.put("group", d.group());
        stream.put("propensity", Double.toString(d.propensity()));
        stream.put("level", level);
        stream.put("coupon", Double.toString(d.coupon()));
        stream.put("price", Double.toString(d.price()));
        stream.put("lambda", Double.toString(d.lambda()));
        stream.put("raw", json(curve.raw()));
        stream.put("calibrated", json(curve.calibrated()));
        stream.put("allowed", allowedMask(allowed));
        stream.put("features", json(request.features()));
        stream.put("campaigns", String.join(",", request.campaigns()));
        stream.put("modelVersion", d.modelVersion());
        stream.put("rulesVersion", d.rulesVersion());
        stream.put("reasons", json(d.reasons()));
        Map<String, String> record = new LinkedHashMap<>();
        record.put("day", day);
        record.put("level", level);
        record.put("coupon", Double.toString(d.coupon()));
        record.put("price", Double.toString(d.price()));
        record.put("segment", segment);
        record.put("group", d.group());
        return new DecisionEvent(d.city(), day, d.decisionId(), d.userId(), now.toEpochMilli(), d.coupon() > 0,
                stream, record, totals);
    }

    private static String allowedMask(boolean[] allowed) {
        StringBuilder sb = new StringBuilder(allowed.length);
        for (boolean a : allowed) {
            sb.append(a ? '1' : '0');
        }
        return sb.toString();
    }

    private static String json(Object value) {
        try {
            return Json.MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise " + value.getClass().getSimpleName(), e);
        }
    }
}
