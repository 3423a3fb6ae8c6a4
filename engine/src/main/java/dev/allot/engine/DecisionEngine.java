package dev.allot.engine;

import dev.allot.control.LambdaArgmax;
import dev.allot.engine.config.CityConfig;
import dev.allot.rules.Arrival;
import dev.allot.rules.Guardrails;
import dev.allot.rules.LevelCandidate;
import dev.allot.rules.Verdict;
import dev.allot.scoring.ConversionCurve;
import dev.allot.scoring.StableHash;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;

/**
 * The decision path, composed once: request -> feature row ({@link dev.allot.scoring.FeatureMapper}) ->
 * {@link ConversionCurve} (model, then isotonic) -> {@link Guardrails} -> values and costs -> group
 * (optimized, exploration, holdout) -> {@link LambdaArgmax} -> {@link DecisionRecord}. The service, the
 * replay and the simulator all decide through {@link #decide}.
 *
 * <p>A pure function of its arguments: no clock, no random source, no I/O. The exploration pick is drawn from a
 * hash of the decision id, so a recorded decision replays to the same level. A few microseconds of CPU, safe on
 * an event loop.
 */
public final class DecisionEngine {

    /** Segment recorded for arrivals that name none. */
    public static final String UNKNOWN_SEGMENT = "unknown";

    /** Seed of the exploration draw's hash, distinct from the group hash's. */
    private static final long EXPLORATION_SEED = 0x5eed_e4b1L;

    /** The record, and how many request features the model does not know (a metric, not part of the record). */
    public record Result(DecisionRecord record, int unknownFeatures) {
    }

    private DecisionEngine() {
    }

    /**
     * Decides one arrival.
     *
     * @param lambda     the price of budget to decide at
     * @param context    what the rules may see besides the request: coupon history and the day's totals
     * @param decisionId the decision's id, chosen by the caller (it seeds the exploration draw)
     * @param day        the trading day the decision counts towards
     */
    public static Result decide(CitySetup setup, Guardrails rules, double lambda, DecisionRequest request,
                                DecisionContext context, String decisionId, long timestampMillis, String day) {
        CityConfig config = setup.config();
        int k = setup.coupons().length;
        String segment = request.segment() == null ? UNKNOWN_SEGMENT : request.segment();

        float[] row = new float[setup.features().width()];
        int unknown = setup.features().fill(request.features(), row);
        ConversionCurve curve = setup.scorer().score(row);

        List<LevelCandidate> facts = new ArrayList<>(k);
        for (int j = 0; j < k; j++) {
            facts.add(new LevelCandidate(j, setup.coupons()[j], setup.prices()[j], curve.at(j)));
        }
        Arrival arrival = new Arrival(config.city(), request.userId(), segment, request.features(),
                request.attributes(), new HashSet<>(request.campaigns()));
        Verdict verdict = rules.evaluate(arrival, facts, context.history(), context.dayTotals());
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
                int pick = (int) (StableHash.unit(EXPLORATION_SEED, decisionId) * n);
                level = n == 0 ? LambdaArgmax.NONE : nthAllowed(allowed, pick);
                propensity = n == 0 ? 1 : 1.0 / n;
            }
            case HOLDOUT -> level = nearestAllowed(allowed, config.holdoutLevel());
            default -> level = LambdaArgmax.choose(values, costs, allowed, lambda);
        }

        boolean chosen = level != LambdaArgmax.NONE;
        Levels levels = new Levels(setup.coupons(), setup.prices(), curve.raw(), curve.calibrated(), values, costs,
                allowed);
        DecisionRecord record = new DecisionRecord(DecisionCodec.FORMAT, decisionId, request.requestId(),
                config.city(), day, timestampMillis, request.timestamp(), request.userId(), segment,
                request.features(), request.attributes(), request.campaigns(), context, levels, group.label(),
                propensity, lambda, chosen ? level : null, chosen ? setup.coupons()[level] : 0,
                chosen ? setup.prices()[level] : config.ladder().basePrice(), verdict.reasons(),
                setup.model().version(), rules.version());
        return new Result(record, unknown);
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
}
