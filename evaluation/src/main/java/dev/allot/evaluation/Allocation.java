package dev.allot.evaluation;

import dev.allot.control.offline.DualSolver;

import java.util.Arrays;

/**
 * The λ-argmax over a whole evaluation set for any number of budgets, from one pass over the units: each unit's
 * choice {@code argmax_j v_ij - λ c_j} only moves to cheaper arms as λ grows, at breakpoints that do not depend
 * on the budget (the offline solver's upper-envelope walk, {@link DualSolver#envelope}). With the breakpoints sorted
 * once, the smallest λ that keeps the average cost within a budget is a binary search, so a budget curve of
 * twenty points costs twenty argmax passes, not twenty solves. Arms need no order; arms of equal cost are
 * chosen between by value alone.
 */
public final class Allocation {

    private final double[] values;
    /** Each unit's cost under each arm, row-major. */
    private final double[] costs;
    private final int units;
    private final int arms;
    /** Breakpoints in increasing order, and the total cost drop accumulated up to and including each. */
    private final double[] at;
    private final double[] dropped;
    /** Total cost of the argmax at λ = 0. */
    private final double costAtZero;
    /** The average over units of their cheapest arm's cost. */
    private final double cheapest;

    /**
     * @param values what each unit is worth under each arm, row-major ({@code units x arms})
     * @param costs  the cost of each arm, the same for every unit
     */
    public Allocation(double[] values, int units, double[] costs) {
        this(values, units, costs.length, perUnit(costs, units));
    }

    /**
     * @param values    what each unit is worth under each arm, row-major ({@code units x arms})
     * @param unitCosts what each unit would cost under each arm, row-major (e.g. a coupon paid only on purchase)
     */
    public Allocation(double[] values, int units, int arms, double[] unitCosts) {
        this.values = values;
        this.costs = unitCosts;
        this.units = units;
        this.arms = arms;
        double[] t = new double[Math.max(1, units * (arms - 1))];
        double[] drop = new double[t.length];
        int m = 0;
        double total = 0;
        double[] v = new double[arms];
        double[] c = new double[arms];
        boolean[] all = new boolean[arms];
        Arrays.fill(all, true);
        double cheapestTotal = 0;
        for (int i = 0; i < units; i++) {
            System.arraycopy(values, i * arms, v, 0, arms);
            System.arraycopy(costs, i * arms, c, 0, arms);
            int j = best(v, c, 0);
            total += c[j];
            double min = c[0];
            for (int q = 1; q < arms; q++) {
                min = Math.min(min, c[q]);
            }
            cheapestTotal += min;
            m = DualSolver.envelope(v, c, all, j, t, drop, m);
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
        // With the same costs for every unit, their minimum exactly (a mean of equal numbers drifts by ulps).
        boolean uniform = true;
        for (int i = 1; i < units && uniform; i++) {
            uniform = Arrays.equals(costs, i * arms, i * arms + arms, costs, 0, arms);
        }
        double firstMin = Double.POSITIVE_INFINITY;
        for (int j = 0; j < arms && units > 0; j++) {
            firstMin = Math.min(firstMin, costs[j]);
        }
        this.cheapest = uniform ? firstMin : cheapestTotal / units;
    }

    private static double[] perUnit(double[] costs, int units) {
        double[] all = new double[units * costs.length];
        for (int i = 0; i < units; i++) {
            System.arraycopy(costs, 0, all, i * costs.length, costs.length);
        }
        return all;
    }

    /** The average cost per unit of the unconstrained argmax (λ = 0): budgets above it change nothing. */
    public double unconstrainedCost() {
        return costAtZero / units;
    }

    /** The average cost of every unit's cheapest arm: no allocation spends less. */
    public double cheapestCost() {
        return cheapest;
    }

    /** The policy for an average cost per unit of at most {@code budget}. */
    public Policy at(double budget) {
        double cheapestNow = cheapestCost();
        // Sums of n costs carry rounding of a few ulps each: a budget within that of a total is that total.
        double tolerance = 1e-9 * Math.max(1, Math.abs(budget));
        if (budget < cheapestNow - tolerance) {
            throw new IllegalArgumentException("budget " + budget + " is below what the cheapest arms cost ("
                    + cheapestNow + " a unit): no policy can stay within it");
        }
        double lambda = 0;
        if (budget <= cheapestNow + tolerance) {
            // Every unit its cheapest arm (the best of them if several cost the same): what the argmax gives beyond
            // the last breakpoint, chosen directly, since products with a λ that large round.
            int[] choice = new int[units];
            for (int i = 0; i < units; i++) {
                int best = 0;
                for (int j = 1; j < arms; j++) {
                    double cj = costs[i * arms + j];
                    double cb = costs[i * arms + best];
                    if (cj < cb || cj == cb && values[i * arms + j] > values[i * arms + best]) {
                        best = j;
                    }
                }
                choice[i] = best;
            }
            lambda = at.length == 0 ? 0 : Math.nextUp(at[at.length - 1]);
            return new Policy(budget, lambda, choice, total(choice) / units);
        }
        double limit = budget * units + tolerance * units;
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
        // Floating point may flip a comparison a few ulps after a breakpoint: step right, doubling, until the
        // argmax is within the budget.
        double step = Math.ulp(lambda);
        for (int tries = 0; lambda > 0 && total(choice) > limit && tries < 60; tries++) {
            lambda += step;
            step *= 2;
            choice = assign(lambda, budget);
        }
        return new Policy(budget, lambda, choice, total(choice) / units);
    }

    /**
     * The arm maximising {@code v - λ c}; between arms that score the same, the cheaper (then the first): at a
     * breakpoint the cheaper line is the one that stays, and a tie at λ = 0 must not spend more than needed.
     */
    private static int best(double[] v, double[] c, double lambda) {
        int best = 0;
        double bestScore = v[0] - lambda * c[0];
        for (int j = 1; j < v.length; j++) {
            double score = v[j] - lambda * c[j];
            if (score > bestScore || score == bestScore && c[j] < c[best]) {
                best = j;
                bestScore = score;
            }
        }
        return best;
    }

    /** Each unit's argmax of {@code v - λ (c - budget)} (the budget's share is the same for every arm). */
    private int[] assign(double lambda, double budget) {
        double[] v = new double[arms];
        double[] c = new double[arms];
        int[] choice = new int[units];
        for (int i = 0; i < units; i++) {
            System.arraycopy(values, i * arms, v, 0, arms);
            for (int j = 0; j < arms; j++) {
                c[j] = costs[i * arms + j] - budget;
            }
            choice[i] = best(v, c, lambda);
        }
        return choice;
    }

    private double total(int[] choice) {
        double sum = 0;
        for (int i = 0; i < choice.length; i++) {
            sum += costs[i * arms + choice[i]];
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
