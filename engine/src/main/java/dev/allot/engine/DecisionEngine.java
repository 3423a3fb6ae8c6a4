package dev.allot.engine;

import dev.allot.control.LambdaArgmax;
import dev.allot.engine.config.CityConfig;
import dev.allot.rules.Arrival;
import dev.allot.rules.Guardrails;
import dev.allot.rules.LevelCandidate;
import dev.allot.rules.Verdict;
import dev.allot.scoring.ConversionCurve;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;

/**
 * The decision path, composed once: request -> feature row ({@link dev.allot.scoring.FeatureMapper}) ->
 * {@link ConversionCurve} (model, then isotonic) -> {@link Guardrails} -> values and costs -> the choice
 * ({@link Policy}: group, then {@link LambdaArgmax}, an exploration draw or the holdout level) ->
 * {@link DecisionRecord}. The service, the
 * replay and the simulator all decide through {@link #decide}.
 *
 * <p>A rule that throws does not fail the decision: the arrival gets no coupon, with the reason
 * {@link Verdict#RULES_FAILED}.
 *
 * <p>A pure function of its arguments: no clock, no random source, no I/O. The exploration pick is drawn from a
 * hash of the decision id, so a recorded decision replays to the same level. A few microseconds of CPU, safe on
 * an event loop.
 */
public final class DecisionEngine {

    /** Segment recorded for arrivals that name none. */
    public static final String UNKNOWN_SEGMENT = "unknown";

    /** The record, and how many request features the model does not know (a metric, not part of the record). */
    public record Result(DecisionRecord record, int unknownFeatures) {
    }

    private DecisionEngine() {
    }

    /**
     * Decides one arrival with the service's policy ({@link Policy#BY_GROUP}).
     *
     * @param lambda     the price of budget to decide at
     * @param context    what the rules may see besides the request: coupon history and the day's totals
     * @param decisionId the decision's id, chosen by the caller (it seeds the exploration draw)
     * @param day        the trading day the decision counts towards
     */
    public static Result decide(CitySetup setup, Guardrails rules, double lambda, DecisionRequest request,
                                DecisionContext context, String decisionId, long timestampMillis, String day) {
        float[] row = new float[setup.features().width()];
        int unknown = setup.features().fill(request.features(), row);
        ConversionCurve curve = setup.scorer().score(row);
        return new Result(decide(setup, rules, lambda, request, context, decisionId, timestampMillis, day, curve,
                setup.worthFor(row), Policy.BY_GROUP), unknown);
    }

    /**
     * Decides one arrival from its curve, already scored (a simulator scores a whole day on every core), with
     * any choice step.
     */
    public static DecisionRecord decide(CitySetup setup, Guardrails rules, double lambda, DecisionRequest request,
                                        DecisionContext context, String decisionId, long timestampMillis,
                                        String day, ConversionCurve curve, Policy policy) {
        return decide(setup, rules, lambda, request, context, decisionId, timestampMillis, day, curve, null, policy);
    }

    /**
     * Decides one arrival from its curve and, with a value model, what a conversion at each level brings in
     * ({@code worth}, scored now or as recorded; null: the ladder's prices).
     */
    public static DecisionRecord decide(CitySetup setup, Guardrails rules, double lambda, DecisionRequest request,
                                        DecisionContext context, String decisionId, long timestampMillis,
                                        String day, ConversionCurve curve, double[] worth, Policy policy) {
        double[] prices = setup.prices();
        CityConfig config = setup.config();
        int k = setup.coupons().length;
        String segment = request.segment() == null ? UNKNOWN_SEGMENT : request.segment();

        Verdict verdict = verdict(setup, rules, request, segment, context, curve, prices);
        boolean[] allowed = verdict.allowed(config.couponFreeLevel());

        double[] values = new double[k];
        double[] costs = new double[k];
        setup.pricing().valuesAndCosts(curve, worth, values, costs);
        Policy.Choice choice = policy.choose(config, request.userId(), decisionId, values, costs, allowed, lambda);
        int level = choice.level();

        boolean chosen = level != LambdaArgmax.NONE;
        Levels levels = new Levels(setup.coupons(), prices, curve.raw(), curve.calibrated(), values, costs, allowed,
                worth);
        return new DecisionRecord(DecisionCodec.FORMAT, decisionId, request.requestId(), config.city(), day,
                timestampMillis, request.timestamp(), request.userId(), segment, request.features(),
                request.attributes(), request.campaigns(), context, levels, choice.group().label(),
                choice.propensity(), lambda, chosen ? level : null, chosen ? setup.coupons()[level] : 0,
                chosen ? prices[level] : config.ladder().basePrice(), verdict.reasons(),
                setup.model().version(), rules.version());
    }

    /**
     * The levels the rules allow an arrival, without choosing: what a day-ahead planner (the simulator's offline
     * strategies) asks of the same rules, with whatever context it can know.
     */
    public static boolean[] allowed(CitySetup setup, Guardrails rules, DecisionRequest request,
                                    DecisionContext context, ConversionCurve curve) {
        String segment = request.segment() == null ? UNKNOWN_SEGMENT : request.segment();
        return verdict(setup, rules, request, segment, context, curve, setup.prices())
                .allowed(setup.config().couponFreeLevel());
    }

    private static Verdict verdict(CitySetup setup, Guardrails rules, DecisionRequest request, String segment,
                                   DecisionContext context, ConversionCurve curve, double[] prices) {
        int k = setup.coupons().length;
        List<LevelCandidate> facts = new ArrayList<>(k);
        for (int j = 0; j < k; j++) {
            facts.add(new LevelCandidate(j, setup.coupons()[j], prices[j], curve.at(j)));
        }
        Arrival arrival = new Arrival(setup.city(), request.userId(), segment, request.features(),
                request.attributes(), new HashSet<>(request.campaigns()));
        try {
            return rules.evaluate(arrival, facts, context.history(), context.dayTotals());
        } catch (RuntimeException e) {
            // A rule's bug must not fail the decision, nor let a coupon through that the rules might have denied:
            // fail closed, and say so in the reasons (counted by rule in the metrics).
            return Verdict.failed(k);
        }
    }
}
