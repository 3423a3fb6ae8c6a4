package dev.allot.simulator;

import com.google.ortools.Loader;
import com.google.ortools.linearsolver.MPConstraint;
import com.google.ortools.linearsolver.MPObjective;
import com.google.ortools.linearsolver.MPSolver;
import com.google.ortools.linearsolver.MPVariable;
import dev.allot.control.Pricing;

import java.util.Arrays;

/**
 * The paper's baseline: coupons fixed a day ahead by group. Customers are grouped by their predicted curves
 * (a grid of quantiles of base conversion {@code r_0} and of uplift {@code r_{K-1} - r_0}); one integer
 * program, solved by OR-Tools (SCIP), gives every group one level so as to maximise the predicted objective
 * under the budget, with yesterday's group sizes as today's predicted show-up. Today each arrival gets its
 * group's level, whatever today's arrivals turn out to be.
 */
public final class OfflineIp {

    /** The day-ahead plan: group boundaries and each group's level. */
    public record Plan(double[] baseCuts, double[] upliftCuts, int[] levelOfGroup, int groups, double objective,
                       String status, long solveMillis) {
    }

    private OfflineIp() {
    }

    public static Plan plan(Pricing pricing, double[] curves, int n, int perAxis, double timeLimitSeconds) {
        Loader.loadNativeLibraries();
        int k = pricing.ladder().size();
        double[] base = new double[n];
        double[] uplift = new double[n];
        for (int i = 0; i < n; i++) {
            base[i] = curves[i * k];
            uplift[i] = curves[i * k + k - 1] - curves[i * k];
        }
        double[] baseCuts = cuts(base, perAxis);
        double[] upliftCuts = cuts(uplift, perAxis);
        int groups = perAxis * perAxis;
        double[][] value = new double[groups][k];
        double[][] cost = new double[groups][k];
        long[] size = new long[groups];
        for (int i = 0; i < n; i++) {
            int g = group(curves, i, k, baseCuts, upliftCuts, perAxis);
            size[g]++;
            for (int j = 0; j < k; j++) {
                double r = curves[i * k + j];
                double price = pricing.ladder().price(j);
                value[g][j] += pricing.objective().value(r, price, pricing.unitCost());
                cost[g][j] += pricing.constraint().cost(r, price, pricing.ladder().coupon(j));
            }
        }
        long started = System.nanoTime();
        MPSolver solver = MPSolver.createSolver("SCIP");
        solver.setTimeLimit((long) (timeLimitSeconds * 1000));
        MPObjective objective = solver.objective();
        objective.setMaximization();
        MPConstraint budget = solver.makeConstraint(Double.NEGATIVE_INFINITY, 0, "budget");
        MPVariable[][] y = new MPVariable[groups][k];
        for (int g = 0; g < groups; g++) {
            if (size[g] == 0) {
                continue;
            }
            MPConstraint one = solver.makeConstraint(1, 1, "one-" + g);
            for (int j = 0; j < k; j++) {
                y[g][j] = solver.makeBoolVar("y" + g + "_" + j);
                objective.setCoefficient(y[g][j], value[g][j]);
                budget.setCoefficient(y[g][j], cost[g][j]);
                one.setCoefficient(y[g][j], 1);
            }
        }
        MPSolver.ResultStatus status = solver.solve();
        long millis = (System.nanoTime() - started) / 1_000_000;
        int[] level = new int[groups];
        boolean solved = status == MPSolver.ResultStatus.OPTIMAL || status == MPSolver.ResultStatus.FEASIBLE;
        for (int g = 0; g < groups; g++) {
            level[g] = 0;
            if (solved && size[g] > 0) {
                for (int j = 0; j < k; j++) {
                    if (y[g][j].solutionValue() > 0.5) {
                        level[g] = j;
                    }
                }
            }
        }
        double objectiveValue = solved ? objective.value() : Double.NaN;
        solver.delete();
        return new Plan(baseCuts, upliftCuts, level, groups, objectiveValue, status.name(), millis);
    }

    /** Each arrival gets its group's planned level. */
    public static int[] apply(Plan plan, double[] curves, int n, int k) {
        int[] levels = groups(plan, curves, n, k);
        for (int i = 0; i < n; i++) {
            levels[i] = plan.levelOfGroup()[levels[i]];
        }
        return levels;
    }

    /** The group of each arrival under the plan's boundaries. */
    public static int[] groups(Plan plan, double[] curves, int n, int k) {
        int perAxis = plan.baseCuts().length + 1;
        int[] groups = new int[n];
        for (int i = 0; i < n; i++) {
            groups[i] = group(curves, i, k, plan.baseCuts(), plan.upliftCuts(), perAxis);
        }
        return groups;
    }

    private static int group(double[] curves, int i, int k, double[] baseCuts, double[] upliftCuts, int perAxis) {
        double base = curves[i * k];
        double uplift = curves[i * k + k - 1] - base;
        return bin(base, baseCuts) * perAxis + bin(uplift, upliftCuts);
    }

    private static int bin(double v, double[] cuts) {
        int at = Arrays.binarySearch(cuts, v);
        return at >= 0 ? at + 1 : -at - 1;
    }

    /** {@code bins - 1} quantile cut points. */
    private static double[] cuts(double[] values, int bins) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        double[] cuts = new double[bins - 1];
        for (int b = 1; b < bins; b++) {
            cuts[b - 1] = sorted[(int) ((long) sorted.length * b / bins)];
        }
        return cuts;
    }
}
