package dev.allot.evaluation;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The cluster bootstrap of the evaluation units, drawn once and shared by every statistic: each replicate draws
 * as many clusters as there are, with replacement, and a statistic is a ratio of per-cluster sums, so one
 * replicate of it is a dot product of those sums with the replicate's cluster counts. Drawing once makes every
 * interval (the policy at each budget, each comparator, each gain) come from the same resamples, so a gain's
 * interval is that of a paired difference.
 */
final class Resampling {

    private final int[] clusterOf;
    private final int clusters;
    private final int replicates;
    /**
     * How many times each cluster was drawn in each replicate, cluster-major ({@code cluster * replicates + b}):
     * a unit's draws in every replicate are adjacent, so a pass over units updates all replicates from one
     * cache line.
     */
    private final byte[] counts;

    Resampling(LoggedData data, int[] evalIndex, long seed, int replicates) {
        Map<Integer, Integer> compact = new LinkedHashMap<>();
        clusterOf = new int[evalIndex.length];
        for (int e = 0; e < evalIndex.length; e++) {
            Integer c = compact.putIfAbsent(data.clusterIds()[evalIndex[e]], compact.size());
            clusterOf[e] = c == null ? compact.size() - 1 : c;
        }
        clusters = compact.size();
        this.replicates = replicates;
        counts = new byte[clusters * replicates];
        SplittableRandom random = new SplittableRandom(seed * 31 + 7);
        // Drawn a replicate at a time (its counts fit in cache), then transposed in blocks of clusters.
        byte[][] drawn = new byte[replicates][clusters];
        for (int b = 0; b < replicates; b++) {
            byte[] row = drawn[b];
            for (int d = 0; d < clusters; d++) {
                int c = random.nextInt(clusters);
                if (row[c] == Byte.MAX_VALUE) {
                    throw new IllegalStateException("a cluster drawn 128 times in one replicate");
                }
                row[c]++;
            }
        }
        for (int from = 0; from < clusters; from += 256) {
            int to = Math.min(clusters, from + 256);
            for (int b = 0; b < replicates; b++) {
                byte[] row = drawn[b];
                for (int c = from; c < to; c++) {
                    counts[c * replicates + b] = row[c];
                }
            }
        }
    }

    int clusters() {
        return clusters;
    }

    int replicates() {
        return replicates;
    }

    int clusterOf(int unit) {
        return clusterOf[unit];
    }

    /**
     * Adds {@code value} (and {@code other}) times the draws of the unit's cluster to {@code totals[b]} (and
     * {@code otherTotals[b]}), for every replicate {@code b}.
     */
    void add(int unit, double value, double[] totals, double other, double[] otherTotals) {
        int base = clusterOf[unit] * replicates;
        for (int b = 0; b < replicates; b++) {
            int n = counts[base + b];
            totals[b] += n * value;
            otherTotals[b] += n * other;
        }
    }

    /** Per-cluster sums of a per-unit quantity, in units' order. */
    double[] sums(UnitValue value) {
        double[] sums = new double[clusters];
        for (int e = 0; e < clusterOf.length; e++) {
            sums[clusterOf[e]] += value.of(e);
        }
        return sums;
    }

    interface UnitValue {
        double of(int unit);
    }

    /** A sum over the whole sample and over each replicate. */
    Statistic total(double[] sums) {
        double full = 0;
        for (double s : sums) {
            full += s;
        }
        double[] replicate = new double[replicates];
        for (int c = 0; c < clusters; c++) {
            double s = sums[c];
            int base = c * replicates;
            for (int b = 0; b < replicates; b++) {
                replicate[b] += counts[base + b] * s;
            }
        }
        return new Statistic(full, replicate);
    }

    /** The ratio of two per-cluster sums. */
    Statistic ratio(double[] numerator, double[] denominator) {
        return total(numerator).divide(total(denominator));
    }

    /** A value on the whole sample and on each replicate; combined replicate by replicate. */
    record Statistic(double full, double[] replicates) {
        Statistic divide(Statistic other) {
            return combine(other, (a, b) -> a / b);
        }

        Statistic minus(Statistic other) {
            return combine(other, (a, b) -> a - b);
        }

        Statistic scale(double factor) {
            double[] r = new double[replicates.length];
            for (int b = 0; b < r.length; b++) {
                r[b] = replicates[b] * factor;
            }
            return new Statistic(full * factor, r);
        }

        Statistic plus(Statistic other) {
            return combine(other, Double::sum);
        }

        Statistic combine(Statistic other, java.util.function.DoubleBinaryOperator op) {
            double[] r = new double[replicates.length];
            for (int b = 0; b < r.length; b++) {
                r[b] = op.applyAsDouble(replicates[b], other.replicates[b]);
            }
            return new Statistic(op.applyAsDouble(full, other.full), r);
        }

        /**
         * The value with the 2.5th and 97.5th percentiles of its replicates; a replicate that could not be computed
         * (a resample without any unit of an arm, 0/0) is left out, and with more than one in a hundred so, the
         * interval is unknown (NaN) rather than quietly narrow.
         */
        PolicyEvaluation.Estimate estimate() {
            double[] sorted = Arrays.stream(replicates).filter(Double::isFinite).sorted().toArray();
            if (sorted.length == 0 || sorted.length < 0.99 * replicates.length) {
                return new PolicyEvaluation.Estimate(full, Double.NaN, Double.NaN);
            }
            int lo = (int) Math.floor(0.025 * (sorted.length - 1));
            int hi = (int) Math.ceil(0.975 * (sorted.length - 1));
            return new PolicyEvaluation.Estimate(full, sorted[lo], sorted[hi]);
        }
    }
}
