package dev.allot.engine.config;

import dev.allot.control.BudgetConstraint;
import dev.allot.control.Objective;
import dev.allot.control.PidGains;
import dev.allot.control.Pricing;
import dev.allot.control.TradingDay;
import dev.allot.rules.RuleVocabulary;
import dev.allot.scoring.Ladder;

import java.nio.file.Path;

/**
 * One city's settings, read from {@code config/cities/<city>.json} (DESIGN §7).
 *
 * @param explorationShare share of users (sticky by user id) who get a uniformly random allowed level
 * @param holdoutShare     share of users who get {@code holdoutLevel}, to measure the policy's effect
 * @param initialLambda    lambda when Redis holds none for the city (the offline lambda)
 * @param realizedSteering steer the PID on realized purchases rather than expected conversions
 * @param model            model directory, absolute or relative to the config file
 * @param ruleFields       attributes and features the guardrail rules may name (the model's features are
 *                         added when the city is set up)
 * @param historyWhenUnknown what the rules see as a user's coupon history while Redis cannot be asked:
 *                         {@code local} (the default: the coupons this replica granted the user in the window,
 *                         as a known history, so caps still bind) or {@code unknown} (rules see an unknown history
 *                         and decide themselves)
 */
public record CityConfig(String city, String currency, Ladder ladder, Objective objective, double unitCost,
                         BudgetConstraint constraint, double explorationShare, double holdoutShare,
                         int holdoutLevel, PidGains pid, double initialLambda, boolean realizedSteering,
                         TradingDay tradingDay, Path model, RuleVocabulary ruleFields, String historyWhenUnknown) {

    public Pricing pricing() {
        return new Pricing(ladder, objective, constraint, unitCost);
    }

    public CityConfig withPid(PidGains gains) {
        return new CityConfig(city, currency, ladder, objective, unitCost, constraint, explorationShare,
                holdoutShare, holdoutLevel, gains, initialLambda, realizedSteering, tradingDay, model, ruleFields,
                historyWhenUnknown);
    }

    /** Whether this replica's own grants stand in for the coupon history while Redis cannot be asked. */
    public boolean localHistoryWhenUnknown() {
        return "local".equals(historyWhenUnknown);
    }

    /** The level whose coupon is zero, or -1: what a denied arrival gets. */
    public int couponFreeLevel() {
        return ladder.coupon(0) == 0 ? 0 : -1;
    }

    /** The file form, as Jackson reads it; {@link ConfigLoader} validates and converts. */
    record File(String city, String currency, Double basePrice, double[] ladder, String objective, Double unitCost,
                Constraint constraint, Double explorationShare, Double holdoutShare, Integer holdoutLevel, Pid pid,
                Double initialLambda, String steerOn, String dayStart, String timezone, String model,
                RuleFields ruleFields, String historyWhenUnknown) {
    }

    record RuleFields(java.util.Map<String, String> attributes, java.util.List<String> features) {
    }

    record Constraint(String type, Double target) {
    }

    record Pid(Double kp, Double ki, Double kd, Double intervalSeconds, Double lambdaMin, Double lambdaMax) {
    }
}
