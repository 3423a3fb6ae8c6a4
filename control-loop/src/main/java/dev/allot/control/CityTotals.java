package dev.allot.control;

import java.util.HashMap;
import java.util.Map;

/**
 * A city's running totals for one day, as stored in the Redis hash {@code allot:{city}:totals:<day>}.
 * Expected figures are summed at decision time from calibrated probabilities ({@code r}); realized ones come
 * from reported outcomes.
 */
public record CityTotals(Map<String, Double> fields) {

    public static final String DECISIONS = "decisions";
    public static final String CONVERSIONS = "conversions";
    public static final String REVENUE = "revenue";
    public static final String SPEND = "spend";
    public static final String COUPONS = "coupons";
    /** Sum of the coupon values offered, bought or not. */
    public static final String OFFERED = "offered";
    public static final String OUTCOMES = "outcomes";
    public static final String PURCHASES = "purchases";
    public static final String REALIZED_REVENUE = "realizedRevenue";
    public static final String REALIZED_SPEND = "realizedSpend";

    public static final CityTotals EMPTY = new CityTotals(Map.of());

    public CityTotals {
        fields = Map.copyOf(fields);
    }

    public static String segmentSpend(String segment) {
        return "seg:" + segment + ":spend";
    }

    public static String segmentDecisions(String segment) {
        return "seg:" + segment + ":decisions";
    }

    public static String groupDecisions(String group) {
        return "group:" + group + ":decisions";
    }

    public static String levelDecisions(int level) {
        return "level:" + level + ":decisions";
    }

    public double get(String field) {
        return fields.getOrDefault(field, 0.0);
    }

    public long decisions() {
        return Math.round(get(DECISIONS));
    }

    /** {@code sum r p / sum r}; NaN before any decision. */
    public double expectedAveragePrice() {
        double r = get(CONVERSIONS);
        return r > 0 ? get(REVENUE) / r : Double.NaN;
    }

    public double realizedAveragePrice() {
        double n = get(PURCHASES);
        return n > 0 ? get(REALIZED_REVENUE) / n : Double.NaN;
    }

    public double expectedSpendPerArrival() {
        double n = get(DECISIONS);
        return n > 0 ? get(SPEND) / n : Double.NaN;
    }

    public double realizedSpendPerArrival() {
        double n = get(OUTCOMES);
        return n > 0 ? get(REALIZED_SPEND) / n : Double.NaN;
    }

    /** A segment's share of the day's expected coupon spend; 0 before any spend. */
    public double segmentSpendShare(String segment) {
        double total = get(SPEND);
        return total > 0 ? get(segmentSpend(segment)) / total : 0;
    }

    public CityTotals plus(Map<String, Double> delta) {
        Map<String, Double> sum = new HashMap<>(fields);
        delta.forEach((k, v) -> sum.merge(k, v, Double::sum));
        return new CityTotals(sum);
    }
}
