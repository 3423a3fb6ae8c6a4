package dev.allot.control;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

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

    // Field names are built for every decision; segments and groups are few, so each name is built once.
    private static final Map<String, String> SEGMENT_SPEND = new ConcurrentHashMap<>();
    private static final Map<String, String> SEGMENT_DECISIONS = new ConcurrentHashMap<>();
    private static final Map<String, String> GROUP_DECISIONS = new ConcurrentHashMap<>();
    private static final String[] LEVEL_DECISIONS = new String[64];

    static {
        for (int j = 0; j < LEVEL_DECISIONS.length; j++) {
            LEVEL_DECISIONS[j] = "level:" + j + ":decisions";
        }
    }

    public static String segmentSpend(String segment) {
        return named(SEGMENT_SPEND, segment, "seg:", ":spend");
    }

    public static String segmentDecisions(String segment) {
        return named(SEGMENT_DECISIONS, segment, "seg:", ":decisions");
    }

    public static String groupDecisions(String group) {
        return named(GROUP_DECISIONS, group, "group:", ":decisions");
    }

    public static String levelDecisions(int level) {
        return level >= 0 && level < LEVEL_DECISIONS.length ? LEVEL_DECISIONS[level] : "level:" + level + ":decisions";
    }

    /** Caches at most a thousand names: segments are free text from clients, and the cache must stay bounded. */
    private static String named(Map<String, String> cache, String name, String prefix, String suffix) {
        if (name == null) {
            return prefix + "null" + suffix;
        }
        String field = cache.get(name);
        if (field == null) {
            field = prefix + name + suffix;
            if (cache.size() < 1_000) {
                cache.put(name, field);
            }
        }
        return field;
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
