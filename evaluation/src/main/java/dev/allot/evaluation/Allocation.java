package dev.allot.evaluation;

import dev.allot.control.LambdaArgmax;

import java.util.Arrays;

/**
 * The λ-argmax over a whole evaluation set for any number of budgets, from one pass over the units: each unit's
 * choice {@code argmax_j v_ij - λ c_j} only moves to cheaper arms as λ grows, at breakpoints that do not depend
 * on the budget (the same upper-envelope walk as the offline {@code DualSolver}). With the breakpoints sorted
 * once, the smallest λ that keeps the average cost within a budget is a binary search, so a budget curve of
 * twenty points costs twenty argmax passes, not twenty solves. Arms need no order; arms of equal cost are
 * chosen between by value alone.
 */
public final class Allocation {

    private final double[] values;
    private final double[] costs;
    private final int units;
    private final int arms;
    /** Breakpoints in increasing order, and the total cost drop accumulated up to and including each. */
    private final double[] at;
    private final double[] dropped;
    /** Total cost of the argmax at λ = 0. */
    private final double costAtZero;

    /**
     * @param values what each unit is worth under each arm, row-major ({@code units x arms})
     * @param costs  the cost of each arm
     */
    public Allocation(double[] values, int units, double[] costs) {
        this.values = values;
        this.costs = costs.clone();
        this.units = units;
        this.arms = costs.length;
        double[] t = new double[Math.max(1, units * (arms - 1))];
        double[] drop = new double[t.length];
        int m = 0;
        double total = 0;
        double[] v = new double[arms];
        boolean[] all = new boolean[arms];
        Arrays.fill(all, true);
        for (int i = 0; i < units; i++) {
            System.arraycopy(values, i * arms, v, 0, arms);
            int j = LambdaArgmax.choose(v, costs, all, 0);
            total += costs[j];
            double from = 0;
            while (true) {
                int next = -1;
                double nextAt = Double.POSITIVE_INFINITY;
                for (int q = 0; q < arms; q++) {
                    if (costs[q] < costs[j]) {
                        double cross = Math.max(from, (v[j] - v[q]) / (costs[j] - costs[q]));
                        // Among lines tied at the crossing, the cheapest dominates beyond it.
                        if (cross < nextAt || cross == nextAt && costs[q] < costs[next]) {
                            nextAt = cross;
                            next = q;
                        }
                    }
                }
                if (next < 0) {
                    break;
                }
                t[m] = nextAt;
                drop[m] = costs[j] - costs[next];
                m++;
                j = next;
                from = nextAt;
            }
        }
        Integer[] order = new Integer[m];
        for (int b = 0; b < m; b++) {
            order[b] = b;
        }
        double[] tt = t;
        Arrays.sort(order, (a, b) -> Double.compare(tt[a], tt[b]));
        this.at = new double[m];
        this.dropped = new double[m];
        double sum = 0;
        for (int b = 0; b < m; b++) {
            at[b] = t[order[b]];
            sum += drop[order[b]];
            dropped[b] = sum;
        }
        this.costAtZero = total;
    }

    /** The average cost per unit of the unconstrained argmax (λ = 0): budgets above it change nothing. */
    public double unconstrainedCost() {
        return costAtZero / units;
    }

    /** The cheapest arm's cost: no allocation spends less on average. */
    public double cheapestCost() {
        double min = Double.POSITIVE_INFINITY;
        for (double c : costs) {
            min = Math.min(min, c);
        }
        return min;
    }

    /** The policy for an average cost per unit of at most {@code budget}. */
    public Policy at(double budget) {
        if (budget < cheapestCost()) {
            throw new IllegalArgumentException("budget " + budget + " is below the cost of the cheapest arm ("
                    + cheapestCost() + "): no policy can stay within it");
        }
        double limit = budget * units;
        double lambda = 0;
        if (costAtZero > limit) {
            // The first breakpoint by which enough cost has dropped.
            int lo = 0;
            int hi = at.length - 1;
            int found = -1;
            while (lo <= hi) {
                int mid = (lo + hi) >>> 1;
                if (costAtZero - dropped[mid] <= limit) {
                    found = mid;
                    hi = mid - 1;
                } else {
                    lo = mid + 1;
                }
            }
            lambda = found < 0 ? (at.length == 0 ? 0 : Math.nextUp(at[at.length - 1])) : at[found];
        }
        int[] choice = assign(lambda, budget);
        // At a breakpoint a unit tied between two arms takes the first, maybe the costlier, and floating point may
        // flip a comparison a few ulps after it: step right, doubling, until the argmax is within the budget.
        double step = Math.ulp(lambda);
        for (int tries = 0; lambda > 0 && total(choice) > limit && tries < 60; tries++) {
            lambda += step;
            step *= 2;
            choice = assign(lambda, budget);
        }
        return new Policy(budget, lambda, choice, total(choice) / units);
    }

    /** Each unit's argmax of {@code v - λ (c - budget)} (the budget's share is the same for every arm). */
    private int[] assign(double lambda, double budget) {
        double[] v = new double[arms];
        double[] c = new double[arms];
        for (int j = 0; j < arms; j++) {
            c[j] = costs[j] - budget;
        }
        boolean[] all = new boolean[arms];
        Arrays.fill(all, true);
        int[] choice = new int[units];
        for (int i = 0; i < units; i++) {
            System.arraycopy(values, i * arms, v, 0, arms);
            choice[i] = LambdaArgmax.choose(v, c, all, lambda);
        }
        return choice;
    }

    private double total(int[] choice) {
        double sum = 0;
        for (int j : choice) {
            sum += costs[j];
        }
        return sum;
    }

    /** An arm per unit, the λ that chose it and its planned average cost. */
    public record Policy(double budget, double lambda, int[] arms, double plannedCost) {
        public double[] shares(int k) {
            long[] counts = new long[k];
            for (int j : arms) {
                counts[j]++;
            }
            double[] shares = new double[k];
            for (int j = 0; j < k; j++) {
                shares[j] = (double) counts[j] / arms.length;
            }
            return shares;
        }
    }
}
