package dev.allot.engine.report;

import dev.allot.control.BudgetConstraint;
import dev.allot.control.CityTotals;
import dev.allot.engine.DecisionRecord;
import dev.allot.rules.Reason;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A city's day as the console charts it, folded from the day's decision records: per time bucket the λ in force,
 * the running budget measure on expected conversions (what the controller steers on unless the city steers on
 * reported purchases) against the target, the running expected spend and the decisions; over the day the share of each offered level, the group counts and the rule hits.
 *
 * <p>Records may arrive in any order (replicas flush independently): buckets keep their own sums and the latest
 * λ by timestamp, and running figures are summed when a {@link #view()} is taken. Records of another day are
 * ignored. Not thread-safe: one owner folds and reads.
 */
public final class DayChart {

    /** One bucket of the day as charted. {@code measured} is NaN before any expected purchase. */
    public record Point(Instant at, long decisions, double lambda, double measured, double spend) {
    }

    /** The chart's figures: points in time order and the day's counts. */
    public record View(String day, double target, String constraint, long decisions, List<Point> points,
                       Map<String, Long> levels, Map<String, Long> groups, Map<String, Long> ruleHits) {
    }

    private static final class Bucket {
        final Map<String, Double> totals = new HashMap<>();
        long decisions;
        long lambdaAt = Long.MIN_VALUE;
        double lambda = Double.NaN;
    }

    private final String day;
    private final long dayStartMillis;
    private final long bucketMillis;
    private final BudgetConstraint constraint;
    private final TreeMap<Long, Bucket> buckets = new TreeMap<>();
    /** Levels in ladder order (level 10 after level 2), then "none". */
    private final Map<String, Long> levels = new TreeMap<>(java.util.Comparator.comparing(
            (String k) -> k.equals("none") ? Integer.MAX_VALUE : Integer.parseInt(k)));
    private final Map<String, Long> groups = new TreeMap<>();
    private final Map<String, Long> ruleHits = new TreeMap<>();
    private long decisions;

    /**
     * @param day            the trading day's key (records of other days are left out)
     * @param dayStartMillis the day's start, where bucket 0 begins
     * @param bucketMillis   the width of a bucket
     * @param constraint     the budget whose measure is charted
     */
    public DayChart(String day, long dayStartMillis, long bucketMillis, BudgetConstraint constraint) {
        if (bucketMillis <= 0) {
            throw new IllegalArgumentException("bucketMillis must be positive");
        }
        this.day = day;
        this.dayStartMillis = dayStartMillis;
        this.bucketMillis = bucketMillis;
        this.constraint = constraint;
    }

    public String day() {
        return day;
    }

    public long decisions() {
        return decisions;
    }

    /** Folds one decision in; a record of another day changes nothing. */
    public void add(DecisionRecord record) {
        if (!day.equals(record.day())) {
            return;
        }
        decisions++;
        long index = Math.floorDiv(record.timestampMillis() - dayStartMillis, bucketMillis);
        Bucket b = buckets.computeIfAbsent(index, k -> new Bucket());
        b.decisions++;
        record.totalsDelta().forEach((k, v) -> b.totals.merge(k, v, Double::sum));
        if (record.timestampMillis() >= b.lambdaAt) {
            b.lambdaAt = record.timestampMillis();
            b.lambda = record.lambda();
        }
        levels.merge(record.offered() ? Integer.toString(record.level()) : "none", 1L, Long::sum);
        groups.merge(record.group(), 1L, Long::sum);
        for (Reason reason : record.reasons()) {
            ruleHits.merge(reason.rule(), 1L, Long::sum);
        }
    }

    /** The figures so far, running sums taken over the buckets in time order. */
    public View view() {
        List<Point> points = new ArrayList<>(buckets.size());
        Map<String, Double> running = new HashMap<>();
        for (var e : buckets.entrySet()) {
            Bucket b = e.getValue();
            b.totals.forEach((k, v) -> running.merge(k, v, Double::sum));
            CityTotals totals = new CityTotals(running);
            points.add(new Point(Instant.ofEpochMilli(dayStartMillis + e.getKey() * bucketMillis), b.decisions,
                    b.lambda, constraint.measure(totals, false), totals.get(CityTotals.SPEND)));
        }
        return new View(day, constraint.target(), constraint.type(), decisions, List.copyOf(points),
                new LinkedHashMap<>(levels), new LinkedHashMap<>(groups), new LinkedHashMap<>(ruleHits));
    }
}
