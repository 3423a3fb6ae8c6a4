package dev.allot.evaluation;

import dev.allot.scoring.StableHash;
import dev.allot.scoring.training.Boosting;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Evaluates the project's own policy on randomized logged data, the way a pricing team would before trusting
 * it: clusters (households) are split in two; a model of the outcome under each arm ({@link ArmModel}) is
 * trained on one half; on the other half each unit gets the λ-argmax arm for an average-cost budget
 * ({@link Allocation}). The policy's outcome is then estimated from the units whose logged arm matches it,
 * weighted by 1/propensity (self-normalised IPW), and compared with what no targeting can do at the same cost:
 * one arm for everyone, a random mix of the cheapest arm and one other, and the best random mix of any arms (the
 * upper hull of the arms' costs and outcomes). 95% intervals come from resampling clusters; they cover the
 * evaluation, with the policy held fixed. From the same fit: the policy at many budgets (the budget curve) and,
 * for each arm against the cheapest, the uplift (Qini) curve with its area.
 */
public final class PolicyEvaluation {

    /** What the policy maximises: the outcome, or the outcome minus the arm's cost (both within the budget). */
    public enum Goal {
        OUTCOME, NET;

        public String label() {
            return this == OUTCOME ? "outcome" : "outcome-minus-cost";
        }

        public static Goal parse(String text) {
            for (Goal g : values()) {
                if (g.label().equals(text.strip().toLowerCase(Locale.ROOT))) {
                    return g;
                }
            }
            throw new IllegalArgumentException("--objective must be outcome or outcome-minus-cost, got '" + text
                    + "'");
        }
    }

    /**
     * How to evaluate.
     *
     * @param budget       average cost per unit the policy may spend; infinite: no budget ({@link Goal#NET} only)
     * @param curveBudgets budgets of the budget curve (empty: eleven from the cheapest arm's cost to what the
     *                     unconstrained policy spends)
     * @param folds        0: train on {@code trainShare} of the clusters and evaluate on the rest; K >= 2:
     *                     cross-fitting, K models each trained without one fold of clusters and choosing for it,
     *                     every unit evaluated
     */
    public record Options(double budget, double trainShare, long seed, int bootstrap, int maxRounds, int depth,
                          ArmModel.Kind model, Goal goal, double[] curveBudgets, Consumer<String> progress,
                          int folds) {
        public Options {
            if (folds == 1 || folds < 0 || folds > 20) {
                throw new IllegalArgumentException("--folds must be 0 (one split by --train-share) or 2 to 20, got "
                        + folds);
            }
            if (!(trainShare > 0 && trainShare < 1) || bootstrap < 10 || !(budget >= 0)) {
                throw new IllegalArgumentException("train share in (0, 1), bootstrap >= 10, budget >= 0");
            }
            if (Double.isInfinite(budget) && goal != Goal.NET) {
                throw new IllegalArgumentException("--budget is needed with --objective outcome: without one the"
                        + " policy gives everyone the arm with the highest predicted outcome, whatever it costs");
            }
            curveBudgets = curveBudgets == null ? new double[0] : curveBudgets.clone();
            progress = progress == null ? Boosting.QUIET : progress;
        }

        /** The ladder, the outcome, the default curve, quiet. */
        public Options(double budget, double trainShare, long seed, int bootstrap, int maxRounds, int depth) {
            this(budget, trainShare, seed, bootstrap, maxRounds, depth, ArmModel.Kind.LADDER, Goal.OUTCOME, null,
                    Boosting.QUIET, 0);
        }

        public Options withModel(ArmModel.Kind kind) {
            return new Options(budget, trainShare, seed, bootstrap, maxRounds, depth, kind, goal, curveBudgets,
                    progress, folds);
        }

        public Options withGoal(Goal g) {
            return new Options(budget, trainShare, seed, bootstrap, maxRounds, depth, model, g, curveBudgets,
                    progress, folds);
        }

        public Options withCurve(double... budgets) {
            return new Options(budget, trainShare, seed, bootstrap, maxRounds, depth, model, goal, budgets, progress,
                    folds);
        }

        public Options withBudget(double b) {
            return new Options(b, trainShare, seed, bootstrap, maxRounds, depth, model, goal, curveBudgets, progress,
                    folds);
        }

        public Options withFolds(int k) {
            return new Options(budget, trainShare, seed, bootstrap, maxRounds, depth, model, goal, curveBudgets,
                    progress, k);
        }
    }

    /** A point estimate with its 95% interval. */
    public record Estimate(double value, double low, double high) {
        public boolean covers(double x) {
            return low <= x && x <= high;
        }
    }

    /**
     * The policy chosen for the evaluation units.
     *
     * @param evalIndex   row of each evaluation unit in the data
     * @param arms        the arm the policy gives each evaluation unit at the budget
     * @param predictions each evaluation unit's predicted outcome under each arm
     */
    public record Plan(int[] evalIndex, int[] arms, Allocation.Policy policy, Allocation allocation,
                       ArmModel.Predictions predictions, int trainRows) {
    }

    /** One budget of the curve: the policy there and what no targeting reaches at the same cost. */
    public record CurvePoint(double budget, double lambda, double plannedCost, Estimate value, Estimate cost,
                             Estimate hull, String hullMix, Estimate gainOverHull, double[] shares) {
    }

    /** An arm against the cheapest, units ranked by predicted uplift: the outcome gain treating the top share. */
    public record Qini(String arm, String control, double[] shares, Estimate[] gain, Estimate auuc,
                       Estimate coefficient) {
    }

    private static final int CURVE_POINTS = 11;
    private static final int QINI_POINTS = 20;

    private PolicyEvaluation() {
    }

    public static Map<String, Object> run(LoggedData data, Options options) {
        return report(data, plan(data, options), options);
    }

    /** Trains on one half of the clusters and chooses each other-half unit's arm. */
    public static Plan plan(LoggedData data, Options options) {
        ArmModel.check(options.model(), data.arms(), data.costs());
        int cheapest = cheapest(data.costs());
        // With each unit's own costs the check waits for their predictions (Allocation.at).
        if (data.unitCost() == null && options.budget() < data.costs()[cheapest]) {
            throw new IllegalArgumentException("budget " + options.budget() + " is below the cost of the cheapest arm, "
                    + data.arms().get(cheapest) + " (" + data.costs()[cheapest] + "): no policy can stay within it");
        }
        int n = data.rows();
        int[] evalIndex;
        int trainRows;
        ArmModel.Predictions predictions;
        double[] unitCosts = null;
        // Each unit's own costs, when they vary (a coupon paid only on purchase): predicted by a model of the same
        // kind, trained on the cost column as the outcome model is on the outcome.
        LoggedData costs = data.unitCost() == null ? null : data.withOutcome(data.unitCost(), false);
        if (options.folds() >= 2) {
            evalIndex = new int[n];
            for (int i = 0; i < n; i++) {
                evalIndex[i] = i;
            }
            predictions = crossFitted(data, options);
            if (costs != null) {
                options.progress().accept("cost model");
                unitCosts = crossFitted(costs, options).mu();
            }
            trainRows = n;
        } else {
            boolean[] train = new boolean[n];
            boolean[] trainCluster = new boolean[data.clusterNames().size()];
            for (int c = 0; c < trainCluster.length; c++) {
                trainCluster[c] = StableHash.unit(options.seed(), data.clusterNames().get(c)) < options.trainShare();
            }
            trainRows = 0;
            for (int i = 0; i < n; i++) {
                train[i] = trainCluster[data.clusterIds()[i]];
                trainRows += train[i] ? 1 : 0;
            }
            evalIndex = new int[n - trainRows];
            for (int i = 0, e = 0; i < n; i++) {
                if (!train[i]) {
                    evalIndex[e++] = i;
                }
            }
            if (evalIndex.length == 0 || trainRows == 0) {
                throw new IllegalArgumentException("--train-share " + options.trainShare() + " left " + trainRows
                        + " units to train on and " + evalIndex.length + " to evaluate: both need some");
            }
            predictions = ArmModel.fit(data, train, evalIndex, settings(options));
            if (costs != null) {
                options.progress().accept("cost model");
                unitCosts = ArmModel.fit(costs, train, evalIndex, settings(options)).mu();
            }
        }
        int k = data.arms().size();
        if (unitCosts != null && min(data.unitCost()) >= 0) {
            // Squared error can predict a little below zero where every cost seen is zero or more.
            for (int i = 0; i < unitCosts.length; i++) {
                unitCosts[i] = Math.max(0, unitCosts[i]);
            }
        }
        double[] values = predictions.mu();
        if (options.goal() == Goal.NET) {
            values = values.clone();
            for (int i = 0; i < values.length; i++) {
                values[i] -= unitCosts != null ? unitCosts[i] : data.costs()[i % k];
            }
        }
        Allocation allocation = unitCosts != null ? new Allocation(values, evalIndex.length, k, unitCosts)
                : new Allocation(values, evalIndex.length, data.costs());
        double budget = Double.isInfinite(options.budget()) ? Double.MAX_VALUE : options.budget();
        Allocation.Policy policy = allocation.at(budget);
        return new Plan(evalIndex, policy.arms(), policy, allocation, predictions, trainRows);
    }

    /** The statistics {@link #repeated} combines. */
    static final List<String> REPEATED = List.of("policyValue", "policyCostIpw", "gainOverNonTargetedHull",
            "gainOverBestSingleArmAtEqualCost", "gainOverBestSingleArm");

    /**
     * Combines evaluations repeated with other seeds (other splits or folds, other trees): for each statistic the
     * median of the estimates, and an interval whose variance is the median over repeats of each one's bootstrap
     * variance plus its squared distance to that median (the rule of repeated cross-fitting in double machine
     * learning). The spread between repeats is the training's variance, which one repeat's bootstrap, holding
     * its models fixed, does not see.
     */
    public static Map<String, Object> repeated(List<Map<String, Object>> reports) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("repeats", reports.size());
        for (String key : REPEATED) {
            List<Estimate> estimates = new ArrayList<>();
            for (Map<String, Object> r : reports) {
                if (r.get(key) instanceof Estimate e) {
                    estimates.add(e);
                }
            }
            if (estimates.size() != reports.size()) {
                continue;
            }
            double[] values = estimates.stream().mapToDouble(Estimate::value).sorted().toArray();
            double median = median(values);
            double[] variances = new double[estimates.size()];
            for (int i = 0; i < variances.length; i++) {
                Estimate e = estimates.get(i);
                double se = (e.high() - e.low()) / (2 * 1.959964);
                variances[i] = se * se + Math.pow(e.value() - median, 2);
            }
            Arrays.sort(variances);
            double half = 1.959964 * Math.sqrt(median(variances));
            Map<String, Object> combined = new LinkedHashMap<>();
            combined.put("estimate", new Estimate(median, median - half, median + half));
            combined.put("perRepeat", estimates);
            out.put(key, combined);
        }
        return out;
    }

    private static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /** The same options with another seed: another split or folds, other trees, another bootstrap. */
    public static Options reseeded(Options o, long seed) {
        return new Options(o.budget(), o.trainShare(), seed, o.bootstrap(), o.maxRounds(), o.depth(), o.model(),
                o.goal(), o.curveBudgets(), o.progress(), o.folds());
    }

    private static ArmModel.Settings settings(Options options) {
        return new ArmModel.Settings(options.model(), options.maxRounds(), options.depth(), options.seed(),
                options.progress());
    }

    /** The fold of each cluster: a seeded hash, so a cluster is never on both sides. */
    static int[] folds(LoggedData data, Options options) {
        int[] fold = new int[data.clusterNames().size()];
        for (int c = 0; c < fold.length; c++) {
            fold[c] = Math.min(options.folds() - 1,
                    (int) (StableHash.unit(options.seed(), data.clusterNames().get(c)) * options.folds()));
        }
        return fold;
    }

    /**
     * Cross-fitting: for each fold, a model trained on the other folds predicts that fold's units, so every unit
     * is predicted by a model that never saw it and every unit is evaluated.
     */
    private static ArmModel.Predictions crossFitted(LoggedData data, Options options) {
        int n = data.rows();
        int k = data.arms().size();
        int[] fold = folds(data, options);
        double[] mu = new double[n * k];
        List<Object> models = new ArrayList<>();
        for (int f = 0; f < options.folds(); f++) {
            boolean[] train = new boolean[n];
            int held = 0;
            for (int i = 0; i < n; i++) {
                train[i] = fold[data.clusterIds()[i]] != f;
                held += train[i] ? 0 : 1;
            }
            int[] index = new int[held];
            for (int i = 0, e = 0; i < n; i++) {
                if (!train[i]) {
                    index[e++] = i;
                }
            }
            options.progress().accept("fold " + (f + 1) + " of " + options.folds());
            ArmModel.Predictions p = ArmModel.fit(data, train, index, settings(options));
            for (int e = 0; e < held; e++) {
                System.arraycopy(p.mu(), e * k, mu, index[e] * k, k);
            }
            models.add(p.summary());
        }
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("kind", options.model().label());
        summary.put("folds", options.folds());
        summary.put("perFold", models);
        return new ArmModel.Predictions(mu, n, k, summary);
    }

    /** Every estimate for a plan: the policy at its budget, the comparators, the budget curve, the Qini curves. */
    public static Map<String, Object> report(LoggedData data, Plan plan, Options options) {
        int k = data.arms().size();
        int[] evalIndex = plan.evalIndex();
        Resampling resampling = new Resampling(data, evalIndex, options.seed(), options.bootstrap());
        Resampling.Statistic[] armMeans = new Resampling.Statistic[k];
        for (int j = 0; j < k; j++) {
            int arm = j;
            armMeans[j] = resampling.ratio(
                    resampling.sums(e -> data.arm()[evalIndex[e]] == arm
                            ? data.outcome()[evalIndex[e]] / data.propensity()[evalIndex[e]] : 0),
                    resampling.sums(e -> data.arm()[evalIndex[e]] == arm ? 1 / data.propensity()[evalIndex[e]] : 0));
        }
        PolicyStatistics main = policyStatistics(data, evalIndex, plan.arms(), resampling);
        int cheapest = cheapest(data.costs());
        Comparators comparators = options.folds() >= 2
                ? Comparators.crossFitted(data, evalIndex, folds(data, options), options.folds(), resampling)
                : Comparators.split(data, evalIndex, armMeans);
        // The cost at which no targeting is compared: the budget, or what a net policy chose to spend.
        double comparedAt = options.goal() == Goal.NET ? plan.policy().plannedCost() : options.budget();

        Map<String, Object> out = new LinkedHashMap<>();
        out.put("units", Map.of("train", plan.trainRows(), "evaluation", evalIndex.length));
        out.put("outcome", data.binaryOutcome() ? "binary" : "continuous");
        out.put("objective", options.goal().label());
        out.put("model", plan.predictions().summary());
        out.put("lambda", plan.policy().lambda());
        out.put("budget", Double.isInfinite(options.budget()) ? null : options.budget());
        Map<String, Double> shares = new LinkedHashMap<>();
        double[] policyShares = plan.policy().shares(k);
        for (int j = 0; j < k; j++) {
            shares.put(data.arms().get(j), policyShares[j]);
        }
        out.put("policyArmShares", shares);
        out.put("policyValue", main.value().estimate());
        out.put("policyCostPlanned", plan.policy().plannedCost());
        out.put("policyCostIpw", main.cost().estimate());
        if (options.goal() == Goal.NET) {
            out.put("policyNetValue", main.value().minus(main.cost()).estimate());
        }
        Resampling.Statistic incremental = main.value().minus(armMeans[cheapest]);
        double extraCost = plan.policy().plannedCost() - data.costs()[cheapest];
        if (extraCost > 0) {
            out.put("outcomePerExtraCost", incremental.scale(1 / extraCost).estimate());
        }

        Map<String, Object> arms = new LinkedHashMap<>();
        Map<String, Object> equalCost = new LinkedHashMap<>();
        for (int j = 0; j < k; j++) {
            Map<String, Object> arm = new LinkedHashMap<>();
            arm.put("cost", data.costs()[j]);
            arm.put("outcomeRate", armMeans[j].estimate());
            arms.put(data.arms().get(j), arm);
            if (j != cheapest) {
                Comparators.Mix m = new Comparators.Mix(cheapest, j,
                        equalCostShare(comparedAt, data.costs()[cheapest], data.costs()[j]));
                Map<String, Object> mix = new LinkedHashMap<>();
                mix.put("shareTreated", m.share());
                mix.put("outcomeRate", m.of(armMeans).estimate());
                equalCost.put(data.arms().get(j), mix);
            }
        }
        out.put("arms", arms);
        if (k > 1) {
            Comparators.Chosen withCheapest = comparators.bestWithCheapest(comparedAt);
            out.put("singleArmAtEqualCost", equalCost);
            out.put("bestSingleArmAtEqualCost", withCheapest.same()
                    ? data.arms().get(withCheapest.arm()) : withCheapest.describe(data.arms()));
            out.put("gainOverBestSingleArmAtEqualCost", main.value().minus(withCheapest.value()).estimate());
        }
        Comparators.Chosen single = comparators.bestSingle(options.goal() == Goal.NET);
        out.put("bestSingleArm", Map.of("arm", single.same() ? data.arms().get(single.arm())
                : single.describe(data.arms()), "cost", data.costs()[single.arm()]));
        out.put("gainOverBestSingleArm", main.value().minus(single.value()).estimate());
        Comparators.Chosen hull = comparators.hull(comparedAt);
        out.put("nonTargetedHull", Map.of("mix", hull.describe(data.arms()), "outcomeRate", hull.value().estimate()));
        out.put("gainOverNonTargetedHull", main.value().minus(hull.value()).estimate());
        out.put("budgetCurve", curve(data, plan, options, resampling, comparators));
        if (k > 1) {
            out.put("qini", qini(data, plan, resampling, cheapest));
        }
        out.put("evaluationClusters", resampling.clusters());
        out.put("bootstrapReplicates", options.bootstrap());
        if (!data.encodings().isEmpty()) {
            out.put("encodings", data.encodings());
        }
        return out;
    }

    private record PolicyStatistics(Resampling.Statistic value, Resampling.Statistic cost) {
    }

    private static PolicyStatistics policyStatistics(LoggedData data, int[] evalIndex, int[] policy,
                                                     Resampling resampling) {
        double[] weighted = resampling.sums(e -> match(data, evalIndex, policy, e) * data.outcome()[evalIndex[e]]);
        double[] weights = resampling.sums(e -> match(data, evalIndex, policy, e));
        double[] costs = resampling.sums(e -> match(data, evalIndex, policy, e) * data.costOf(evalIndex[e]));
        Resampling.Statistic w = resampling.total(weights);
        return new PolicyStatistics(resampling.total(weighted).divide(w), resampling.total(costs).divide(w));
    }

    /** The unit's IPW weight for a policy: 1/propensity where the logged arm is the policy's, else 0. */
    private static double match(LoggedData data, int[] evalIndex, int[] policy, int e) {
        int i = evalIndex[e];
        return data.arm()[i] == policy[e] ? 1.0 / data.propensity()[i] : 0;
    }

    private static List<CurvePoint> curve(LoggedData data, Plan plan, Options options, Resampling resampling,
                                          Comparators comparators) {
        Allocation allocation = plan.allocation();
        double[] budgets = options.curveBudgets();
        if (budgets.length == 0) {
            double low = allocation.cheapestCost();
            double high = Math.max(low, allocation.unconstrainedCost());
            budgets = new double[CURVE_POINTS];
            for (int p = 0; p < CURVE_POINTS; p++) {
                budgets[p] = low + (high - low) * p / (CURVE_POINTS - 1);
            }
        }
        List<CurvePoint> points = new ArrayList<>();
        int k = data.arms().size();
        for (double budget : budgets) {
            if (budget < allocation.cheapestCost() - 1e-9 * Math.max(1, Math.abs(budget))) {
                // Below what the cheapest arms cost no policy exists: the point is left out (listed in the report).
                options.progress().accept("budget " + budget + " is below what the cheapest arms cost ("
                        + allocation.cheapestCost() + "): left out of the curve");
                continue;
            }
            Allocation.Policy policy = allocation.at(budget);
            PolicyStatistics s = policyStatistics(data, plan.evalIndex(), policy.arms(), resampling);
            double comparedAt = options.goal() == Goal.NET ? policy.plannedCost() : budget;
            Comparators.Chosen hull = comparators.hull(comparedAt);
            Resampling.Statistic hullValue = hull.value();
            points.add(new CurvePoint(budget, policy.lambda(), policy.plannedCost(), s.value().estimate(),
                    s.cost().estimate(), hullValue.estimate(), hull.describe(data.arms()),
                    s.value().minus(hullValue).estimate(), policy.shares(k)));
        }
        return points;
    }

    /**
     * For each arm against the cheapest: units ranked by predicted uplift, the estimated outcome gain over the
     * cheapest arm for everyone when the top share gets the arm and the rest the cheapest, at shares 0, 1/20, …, 1;
     * the area under that curve (AUUC, per unit) and the Qini coefficient (the area above the diagonal of random
     * targeting). One pass over the ranked units updates every bootstrap replicate.
     */
    private static List<Qini> qini(LoggedData data, Plan plan, Resampling resampling, int control) {
        int[] evalIndex = plan.evalIndex();
        int units = evalIndex.length;
        ArmModel.Predictions mu = plan.predictions();
        List<Qini> curves = new ArrayList<>();
        for (int j = 0; j < data.arms().size(); j++) {
            if (j == control) {
                continue;
            }
            int arm = j;
            // Highest predicted uplift first (to float precision), ties in unit order: one primitive sort of
            // (order-preserving bits of -uplift, unit).
            long[] keyed = new long[units];
            for (int e = 0; e < units; e++) {
                int bits = Float.floatToIntBits((float) -(mu.at(e, arm) - mu.at(e, control)) + 0f);
                int sortable = bits >= 0 ? bits : bits ^ 0x7fffffff;
                keyed[e] = ((long) sortable << 32) | e;
            }
            Arrays.sort(keyed);
            int[] order = new int[units];
            for (int r = 0; r < units; r++) {
                order[r] = (int) keyed[r];
            }
            double[] shares = new double[QINI_POINTS + 1];
            int[] cuts = new int[QINI_POINTS + 1];
            for (int g = 0; g <= QINI_POINTS; g++) {
                shares[g] = (double) g / QINI_POINTS;
                cuts[g] = (int) Math.round(shares[g] * units);
            }
            int replicates = resampling.replicates();
            // Running sums in rank order, for the whole sample ([0]) and each replicate: the arm's y/p and 1/p
            // among the top units, the control's among them; snapshots at each cut.
            double[][] sums = new double[4][replicates];
            double[][][] atCut = new double[cuts.length][4][];
            double[] full = new double[4];
            double[][] fullAtCut = new double[cuts.length][];
            int next = 0;
            for (int g = 0; g < cuts.length; g++) {
                for (; next < cuts[g]; next++) {
                    int e = order[next];
                    int i = evalIndex[e];
                    int logged = data.arm()[i];
                    if (logged != arm && logged != control) {
                        continue;
                    }
                    int part = logged == arm ? 0 : 2;
                    double inverse = 1 / data.propensity()[i];
                    double y = data.outcome()[i] * inverse;
                    full[part] += y;
                    full[part + 1] += inverse;
                    resampling.add(e, y, sums[part], inverse, sums[part + 1]);
                }
                fullAtCut[g] = full.clone();
                for (int q = 0; q < 4; q++) {
                    atCut[g][q] = sums[q].clone();
                }
            }
            double[] fullGains = gains(fullAtCut, cuts, units);
            double[][] replicateGains = new double[fullGains.length][replicates];
            for (int b = 0; b < replicates; b++) {
                double[][] snapshot = new double[cuts.length][4];
                for (int g = 0; g < cuts.length; g++) {
                    for (int q = 0; q < 4; q++) {
                        snapshot[g][q] = atCut[g][q][b];
                    }
                }
                double[] r = gains(snapshot, cuts, units);
                for (int g = 0; g < r.length; g++) {
                    replicateGains[g][b] = r[g];
                }
            }
            Estimate[] gain = new Estimate[cuts.length];
            for (int g = 0; g < cuts.length; g++) {
                gain[g] = new Resampling.Statistic(fullGains[g], replicateGains[g]).estimate();
            }
            curves.add(new Qini(data.arms().get(arm), data.arms().get(control), shares, gain,
                    new Resampling.Statistic(fullGains[cuts.length], replicateGains[cuts.length]).estimate(),
                    new Resampling.Statistic(fullGains[cuts.length + 1], replicateGains[cuts.length + 1]).estimate()));
        }
        return curves;
    }

    /**
     * The gains at each cut from the running sums there ({@code [arm y/p, arm 1/p, control y/p, control 1/p]} of
     * the top units; the last cut holds every unit), then the AUUC and the Qini coefficient.
     */
    private static double[] gains(double[][] atCut, int[] cuts, int units) {
        double[] all = atCut[cuts.length - 1];
        double controlY = all[2];
        double controlW = all[3];
        double base = controlY / controlW;
        double[] out = new double[cuts.length + 2];
        for (int g = 0; g < cuts.length; g++) {
            double[] s = atCut[g];
            // Self-normalised within each part: the top share's outcome under the arm, the rest's under control.
            double share = (double) cuts[g] / units;
            // No treated unit among the top share (a resample can draw none): that point is unknown, not zero.
            double top = s[1] > 0 ? s[0] / s[1] : share == 0 ? 0 : Double.NaN;
            double restW = controlW - s[3];
            double rest = restW > 0 ? (controlY - s[2]) / restW : share == 1 ? 0 : Double.NaN;
            out[g] = share * top + (1 - share) * rest - base;
        }
        double area = 0;
        for (int g = 1; g < cuts.length; g++) {
            area += (out[g] + out[g - 1]) / 2 / (cuts.length - 1);
        }
        out[cuts.length] = area;
        out[cuts.length + 1] = area - out[cuts.length - 1] / 2;
        return out;
    }

    /**
     * The share of units given arm {@code j} (the rest get the cheapest arm) so that the mix costs {@code budget}
     * on average: {@code (B - c0) / (cj - c0)}, within [0, 1]. With a free cheapest arm that is {@code B / cj}; with a
     * paid one, {@code B / cj} would overspend (cheapest 0.2, arm 0.6, budget 0.35: a mix costing 0.425), which
     * made the comparator spend more than the policy and biased the comparison against it.
     */
    static double equalCostShare(double budget, double cheapest, double cost) {
        if (cost <= cheapest) {
            return budget >= cost ? 1 : 0;
        }
        return Math.max(0, Math.min(1, (budget - cheapest) / (cost - cheapest)));
    }

    static int cheapest(double[] costs) {
        int c = 0;
        for (int j = 1; j < costs.length; j++) {
            if (costs[j] < costs[c]) {
                c = j;
            }
        }
        return c;
    }

    private static double min(float[] values) {
        double m = Double.POSITIVE_INFINITY;
        for (float v : values) {
            m = Math.min(m, v);
        }
        return m;
    }
}
