package dev.allot.control.offline;

import dev.allot.control.LambdaArgmax;
import dev.allot.control.Pricing;

import java.util.Arrays;

/**
 * The offline price of budget, exactly.
 *
 * <p>The day's problem is a multiple-choice knapsack: maximise {@code sum v_ij x_ij} subject to
 * {@code sum c_ij x_ij <= 0} and one level per arrival. Its LP relaxation has the dual
 *
 * <pre>  D(lambda) = sum_i max_j ( v_ij - lambda c_ij ),   lambda >= 0</pre>
 *
 * which is convex and piecewise linear with slope {@code -C(lambda)}, where {@code C(lambda)} is the budget
 * usage of the per-arrival argmax. {@code C} is a non-increasing step function that changes only where an
 * arrival's upper envelope of lines {@code v_ij - lambda c_ij} switches line: at most K-1 breakpoints per
 * arrival. So {@code lambda*} is the smallest breakpoint at which the accumulated drops in usage reach
 * {@code C(0)}; no tolerance and no iteration is involved. Levels the guardrails forbid an arrival
 * ({@link Population#allowed()}) are not lines of its envelope. The LP optimum is {@code D(lambda*)}; the integral
 * policy at {@code lambda*} differs from it by at most one fractional arrival.
 *
 * <p>Finding the crossing does not need a full sort: breakpoints are narrowed by 16-bit digits of their
 * (non-negative, hence order-preserving) IEEE bit patterns, summing usage drops per digit, and only the
 * final small bucket is sorted. That is exact and linear in the number of breakpoints.
 */
public final class DualSolver {

    /**
     * @param lambda           the price of budget; the integral policy at this lambda is within budget when
     *                         {@code feasible}
     * @param lpObjective      the LP relaxation's optimum, {@code D(lambda*)}
     * @param integralObjective objective of the integral policy at {@code lambda}
     * @param constraintUsage  its budget usage {@code sum c}; {@code <= 0} means within budget
     * @param levelShares      share of arrivals offered each level
     * @param feasible         whether any policy meets the budget (false: even the cheapest levels overspend)
     * @param breakpoints      envelope breakpoints examined
     */
    public record Solution(double lambda, double lpObjective, double integralObjective, double constraintUsage,
                           double[] levelShares, int arrivals, boolean feasible, long breakpoints) {
    }

    /** The paper's method, for comparison: trisection of the convex dual to a tolerance. */
    public record Trisection(double lambda, double dual, int iterations) {
    }

    /** The integral policy at a given lambda. */
    public record PolicyValue(double objective, double usage, double[] levelShares) {
    }

    private static final int DIGIT_BITS = 16;
    private static final int SORT_BELOW = 1 << 14;

    private DualSolver() {
    }

    public static Solution solve(Pricing pricing, Population population) {
        int n = population.arrivals();
        int k = population.levels();
        checkLevels(pricing, k);
        double[] v = new double[k];
        double[] c = new double[k];
        boolean[] allowed = new boolean[k];
        double[] t = new double[Math.max(1, n * (k - 1))];
        double[] drop = new double[t.length];
        int m = 0;
        double usageAtZero = 0;
        double[] r = population.r();
        for (int i = 0; i < n; i++) {
            arrival(pricing, r, i * k, k, v, c);
            population.allowed(i, allowed);
            int j = LambdaArgmax.choose(v, c, allowed, 0);
            if (j == LambdaArgmax.NONE) {
                continue;
            }
            usageAtZero += c[j];
            m = envelope(v, c, allowed, j, t, drop, m);
        }
        double lambda;
        boolean feasible = true;
        if (usageAtZero <= 0) {
            lambda = 0;
        } else {
            lambda = crossing(t, drop, m, usageAtZero);
            if (Double.isInfinite(lambda)) {
                feasible = false;
                lambda = m == 0 ? 0 : Math.nextUp(max(t, m));
            }
        }
        double lp = dual(pricing, population, lambda);
        PolicyValue policy = policy(pricing, population, lambda);
        // At lambda* itself an arrival tied between two lines takes the smaller coupon, which may be the costlier
        // line, and the argmax's floating-point comparison may flip a few ulps after the computed crossing. Just
        // right of lambda* every switch has happened and the policy is the same one: step up by ulps, doubling,
        // until the policy the argmax actually makes is within budget.
        double step = Math.ulp(lambda);
        for (int tries = 0; feasible && policy.usage() > 0 && tries < 60; tries++) {
            lambda += step;
            step *= 2;
            policy = policy(pricing, population, lambda);
        }
        return new Solution(lambda, lp, policy.objective(), policy.usage(), policy.levelShares(), n, feasible, m);
    }

    /**
     * One arrival's upper envelope of lines {@code v_j - lambda c_j} from {@code lambda = 0}, where its argmax is
     * {@code start}: appends each breakpoint (where the argmax switches to a cheaper line) to {@code t} and the
     * cost it drops to {@code drop}, from index {@code m}; returns the new count. Used by this solver and by the
     * evaluation's budget curve.
     */
    public static int envelope(double[] v, double[] c, boolean[] allowed, int start, double[] t, double[] drop,
                               int m) {
        int k = v.length;
        int j = start;
        double at = 0;
        while (true) {
            int next = -1;
            double nextAt = Double.POSITIVE_INFINITY;
            for (int q = 0; q < k; q++) {
                if (allowed[q] && c[q] < c[j]) {
                    double cross = Math.max(at, (v[j] - v[q]) / (c[j] - c[q]));
                    // Among lines tied at the crossing, the cheapest dominates beyond it.
                    if (cross < nextAt || cross == nextAt && c[q] < c[next]) {
                        nextAt = cross;
                        next = q;
                    }
                }
            }
            if (next < 0) {
                return m;
            }
            t[m] = nextAt;
            drop[m] = c[j] - c[next];
            m++;
            j = next;
            at = nextAt;
        }
    }

    /** {@code D(lambda) = sum_i max_j (v_ij - lambda c_ij)}. */
    public static double dual(Pricing pricing, Population population, double lambda) {
        int n = population.arrivals();
        int k = population.levels();
        double[] v = new double[k];
        double[] c = new double[k];
        boolean[] allowed = new boolean[k];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            arrival(pricing, population.r(), i * k, k, v, c);
            population.allowed(i, allowed);
            double best = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < k; j++) {
                if (allowed[j]) {
                    best = Math.max(best, v[j] - lambda * c[j]);
                }
            }
            sum += best == Double.NEGATIVE_INFINITY ? 0 : best;
        }
        return sum;
    }

    /** Objective, usage and level shares of the per-arrival argmax at {@code lambda}. */
    public static PolicyValue policy(Pricing pricing, Population population, double lambda) {
        int n = population.arrivals();
        int k = population.levels();
        double[] v = new double[k];
        double[] c = new double[k];
        boolean[] allowed = new boolean[k];
        long[] counts = new long[k];
        double objective = 0;
        double usage = 0;
        for (int i = 0; i < n; i++) {
            arrival(pricing, population.r(), i * k, k, v, c);
            population.allowed(i, allowed);
            int j = LambdaArgmax.choose(v, c, allowed, lambda);
            if (j == LambdaArgmax.NONE) {
                continue;
            }
            objective += v[j];
            usage += c[j];
            counts[j]++;
        }
        double[] shares = new double[k];
        for (int j = 0; j < k; j++) {
            shares[j] = n == 0 ? 0 : (double) counts[j] / n;
        }
        return new PolicyValue(objective, usage, shares);
    }

    /**
     * Ternary search of the convex dual on {@code [0, upper]} until the bracket is narrower than
     * {@code tolerance}: the paper's approach, kept to compare iterations and accuracy.
     */
    public static Trisection trisect(Pricing pricing, Population population, double upper, double tolerance) {
        double lo = 0;
        double hi = upper;
        int iterations = 0;
        while (hi - lo > tolerance) {
            double a = lo + (hi - lo) / 3;
            double b = hi - (hi - lo) / 3;
            if (dual(pricing, population, a) <= dual(pricing, population, b)) {
                hi = b;
            } else {
                lo = a;
            }
            iterations++;
        }
        double lambda = (lo + hi) / 2;
        return new Trisection(lambda, dual(pricing, population, lambda), iterations);
    }

    private static void arrival(Pricing pricing, double[] r, int offset, int k, double[] v, double[] c) {
        for (int j = 0; j < k; j++) {
            double rj = r[offset + j];
            double price = pricing.ladder().price(j);
            v[j] = pricing.objective().value(rj, price, pricing.unitCost());
            c[j] = pricing.constraint().cost(rj, price, pricing.ladder().coupon(j));
        }
    }

    private static void checkLevels(Pricing pricing, int k) {
        if (pricing.ladder().size() != k) {
            throw new IllegalArgumentException("population has " + k + " levels, the ladder " + pricing.ladder().size());
        }
    }

    /**
     * The smallest {@code t[b]} such that the drops of all breakpoints at or below it sum to at least
     * {@code need}; +infinity if all of them together fall short.
     */
    static double crossing(double[] t, double[] drop, int m, double need) {
        int[] candidates = null;
        int size = m;
        double below = 0;
        for (int shift = 64 - DIGIT_BITS; shift >= 0 && size > SORT_BELOW; shift -= DIGIT_BITS) {
            double[] sums = new double[1 << DIGIT_BITS];
            int[] counts = new int[1 << DIGIT_BITS];
            for (int x = 0; x < size; x++) {
                int b = candidates == null ? x : candidates[x];
                int digit = (int) (Double.doubleToRawLongBits(t[b]) >>> shift) & 0xFFFF;
                sums[digit] += drop[b];
                counts[digit]++;
            }
            int digit = 0;
            double acc = below;
            while (digit < sums.length && acc + sums[digit] < need) {
                acc += sums[digit];
                digit++;
            }
            if (digit == sums.length) {
                return Double.POSITIVE_INFINITY;
            }
            below = acc;
            int[] next = new int[counts[digit]];
            int z = 0;
            for (int x = 0; x < size; x++) {
                int b = candidates == null ? x : candidates[x];
                if (((int) (Double.doubleToRawLongBits(t[b]) >>> shift) & 0xFFFF) == digit) {
                    next[z++] = b;
                }
            }
            candidates = next;
            size = z;
        }
        double[] times = new double[size];
        for (int x = 0; x < size; x++) {
            times[x] = t[candidates == null ? x : candidates[x]];
        }
        Integer[] order = new Integer[size];
        for (int x = 0; x < size; x++) {
            order[x] = x;
        }
        Arrays.sort(order, (p, q) -> Double.compare(times[p], times[q]));
        double acc = below;
        for (int x = 0; x < size; x++) {
            int b = candidates == null ? order[x] : candidates[order[x]];
            acc += drop[b];
            if (acc >= need) {
                return t[b];
            }
        }
        return Double.POSITIVE_INFINITY;
    }

    private static double max(double[] a, int m) {
        double max = 0;
        for (int i = 0; i < m; i++) {
            max = Math.max(max, a[i]);
        }
        return max;
    }
}
