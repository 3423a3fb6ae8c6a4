package dev.allot.evaluation;

import dev.allot.control.BudgetConstraint;
import dev.allot.control.LambdaArgmax;
import dev.allot.control.Objective;
import dev.allot.control.Pricing;
import dev.allot.control.offline.DualSolver;
import dev.allot.control.offline.Population;
import dev.allot.scoring.ConversionCurve;
import dev.allot.scoring.ConversionScorer;
import dev.allot.scoring.FeatureSchema;
import dev.allot.scoring.Ladder;
import dev.allot.scoring.StableHash;
import dev.allot.scoring.TreeEnsemble;
import dev.allot.scoring.training.Trainer;
import dev.allot.scoring.training.TrainingSet;
import dev.allot.scoring.training.TrainingTable;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Evaluates the project's own policy on randomized logged data, the way a pricing team would before trusting
 * it: clusters (households) are split in two; the monotone conversion model is trained on one half; on the
 * other half every unit's curve over the arms (ordered by cost) is calibrated, lambda is solved exactly under
 * an average-cost budget, and each unit gets its lambda-argmax arm. The policy's outcome rate is then
 * estimated from the units whose logged arm matches it, weighted by 1/propensity (self-normalised IPW), and
 * compared with giving one arm at the same cost. 95% intervals come from resampling clusters; they cover the
 * evaluation, with the policy held fixed.
 */
public final class PolicyEvaluation {

    /** How to evaluate. */
    public record Options(double budget, double trainShare, long seed, int bootstrap, int maxRounds, int depth) {
        public Options {
            if (!(trainShare > 0 && trainShare < 1) || bootstrap < 10 || !(budget >= 0)) {
                throw new IllegalArgumentException("train share in (0, 1), bootstrap >= 10, budget >= 0");
            }
        }
    }

    /** A point estimate with its 95% interval. */
    public record Estimate(double value, double low, double high) {
    }

    /**
     * The policy chosen for the evaluation units.
     *
     * @param evalIndex row of each evaluation unit in the data
     * @param arms      the arm the policy gives each evaluation unit
     */
    public record Plan(int[] evalIndex, int[] arms, DualSolver.Solution solution, Trainer.Result trained,
                       int trainRows) {
    }

    private static final String COST_FEATURE = "arm_cost";

    private PolicyEvaluation() {
    }

    public static Map<String, Object> run(LoggedData data, Options options) {
        Plan plan = plan(data, options);
        Map<String, Object> report = estimate(data, plan.evalIndex(), plan.arms(), options);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("units", Map.of("train", plan.trainRows(), "evaluation", plan.evalIndex().length));
        out.put("model", Map.of("version", plan.trained().card().version(), "metrics",
                plan.trained().card().metrics()));
        out.put("lambda", plan.solution().lambda());
        out.put("budget", options.budget());
        Map<String, Double> shares = new LinkedHashMap<>();
        for (int j = 0; j < data.arms().size(); j++) {
            shares.put(data.arms().get(j), plan.solution().levelShares()[j]);
        }
        out.put("policyArmShares", shares);
        out.putAll(report);
        if (!data.encodings().isEmpty()) {
            out.put("encodings", data.encodings());
        }
        return out;
    }

    /** Trains on one half of the clusters and chooses each other-half unit's arm. */
    public static Plan plan(LoggedData data, Options options) {
        if (options.budget() < data.costs()[0]) {
            throw new IllegalArgumentException("budget " + options.budget() + " is below the cost of the cheapest arm, "
                    + data.arms().get(0) + " (" + data.costs()[0] + "): no policy can stay within it");
        }
        int n = data.rows();
        boolean[] train = new boolean[n];
        boolean[] trainCluster = new boolean[data.clusterNames().size()];
        for (int c = 0; c < trainCluster.length; c++) {
            trainCluster[c] = StableHash.unit(options.seed(), data.clusterNames().get(c)) < options.trainShare();
        }
        for (int i = 0; i < n; i++) {
            train[i] = trainCluster[data.clusterIds()[i]];
        }

        List<String> names = new ArrayList<>(data.featureNames());
        names.add(COST_FEATURE);
        FeatureSchema schema = new FeatureSchema(names, COST_FEATURE);
        int width = schema.size();
        int trainRows = 0;
        for (boolean t : train) {
            trainRows += t ? 1 : 0;
        }
        float[] x = new float[trainRows * width];
        float[] y = new float[trainRows];
        String[] users = new String[trainRows];
        for (int i = 0, r = 0; i < n; i++) {
            if (train[i]) {
                System.arraycopy(data.features(), i * data.width(), x, r * width, data.width());
                x[r * width + width - 1] = (float) data.costs()[data.arm()[i]];
                y[r] = data.outcome()[i];
                users[r] = data.clusterNames().get(data.clusterIds()[i]);
                r++;
            }
        }
        List<Double> costs = new ArrayList<>();
        for (double c : data.costs()) {
            costs.add(c);
        }
        Trainer.Result trained = Trainer.train(new TrainingTable(new TrainingSet(schema, x, y, trainRows), users, null,
                        List.of()),
                new Trainer.Options(options.maxRounds(), 20, options.depth(), 0.1, true, options.seed(),
                        Runtime.getRuntime().availableProcessors(), 0.2, Trainer.Split.USER, costs), "allot evaluate");
        TreeEnsemble model = TreeEnsemble.read(trained.model().toJson(), schema);
        trained.model().close();

        // Prices play no part with the conversions objective; the ladder's base only has to exceed the costs.
        double[] ladderCosts = data.costs();
        Ladder ladder = new Ladder(ladderCosts[ladderCosts.length - 1] + 1, ladderCosts);
        ConversionScorer scorer = new ConversionScorer(model, ladder);
        int k = ladder.size();
        int evalRows = n - trainRows;
        int[] evalIndex = new int[evalRows];
        double[] r = new double[evalRows * k];
        float[] row = new float[width];
        for (int i = 0, e = 0; i < n; i++) {
            if (!train[i]) {
                System.arraycopy(data.features(), i * data.width(), row, 0, data.width());
                row[width - 1] = Float.NaN;
                ConversionCurve curve = scorer.score(row);
                System.arraycopy(curve.calibrated(), 0, r, e * k, k);
                evalIndex[e++] = i;
            }
        }
        Pricing pricing = new Pricing(ladder, Objective.CONVERSIONS, new BudgetConstraint.CostPerArrival(
                options.budget()), 0);
        Population population = new Population(r, evalRows, k);
        DualSolver.Solution solution = DualSolver.solve(pricing, population);
        int[] policy = new int[evalRows];
        double[] values = new double[k];
        double[] costsOf = new double[k];
        boolean[] all = new boolean[k];
        Arrays.fill(all, true);
        for (int e = 0; e < evalRows; e++) {
            pricing.valuesAndCosts(new ConversionCurve(Arrays.copyOfRange(r, e * k, e * k + k),
                    Arrays.copyOfRange(r, e * k, e * k + k)), values, costsOf);
            policy[e] = LambdaArgmax.choose(values, costsOf, all, solution.lambda());
        }

        return new Plan(evalIndex, policy, solution, trained, trainRows);
    }

    /**
     * The estimates on the evaluation units. Every statistic is a ratio of per-cluster sums, so a bootstrap
     * replicate is one pass over cluster counts.
     */
    public static Map<String, Object> estimate(LoggedData data, int[] evalIndex, int[] policy, Options options) {
        int k = data.arms().size();
        Map<Integer, Integer> compact = new LinkedHashMap<>();
        for (int i : evalIndex) {
            compact.putIfAbsent(data.clusterIds()[i], compact.size());
        }
        int clusters = compact.size();
        // Per cluster: [0] sum w*y, [1] sum w, [2] sum w*cost(policy), [3] planned cost, [4] units,
        // then per arm j: [5 + 2j] sum y with T = j, [6 + 2j] count with T = j.
        int stride = 5 + 2 * k;
        double[] sums = new double[clusters * stride];
        for (int e = 0; e < evalIndex.length; e++) {
            int i = evalIndex[e];
            int c = compact.get(data.clusterIds()[i]) * stride;
            int logged = data.arm()[i];
            double w = logged == policy[e] ? 1.0 / data.propensity()[i] : 0;
            sums[c] += w * data.outcome()[i];
            sums[c + 1] += w;
            sums[c + 2] += w * data.costs()[policy[e]];
            sums[c + 3] += data.costs()[policy[e]];
            sums[c + 4] += 1;
            sums[c + 5 + 2 * logged] += data.outcome()[i];
            sums[c + 6 + 2 * logged] += 1;
        }
        double[] full = statistics(sums, null, clusters, stride, k, data.costs(), options.budget());
        int comparator = bestEqualCostArm(full, k);
        int bestSingle = bestSingleArm(full, k);
        int statCount = full.length;
        double[][] replicates = new double[statCount + 2][options.bootstrap()];
        SplittableRandom random = new SplittableRandom(options.seed() * 31 + 7);
        int[] counts = new int[clusters];
        for (int b = 0; b < options.bootstrap(); b++) {
            Arrays.fill(counts, 0);
            for (int d = 0; d < clusters; d++) {
                counts[random.nextInt(clusters)]++;
            }
            double[] s = statistics(sums, counts, clusters, stride, k, data.costs(), options.budget());
            for (int q = 0; q < statCount; q++) {
                replicates[q][b] = s[q];
            }
            replicates[statCount][b] = s[0] - s[equalCostIndex(k, comparator)];
            replicates[statCount + 1][b] = s[0] - s[armIndex(bestSingle)];
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("policyValue", interval(full[0], replicates[0]));
        out.put("policyCostPlanned", full[2]);
        out.put("policyCostIpw", interval(full[1], replicates[1]));
        Map<String, Object> arms = new LinkedHashMap<>();
        Map<String, Object> equalCost = new LinkedHashMap<>();
        for (int j = 0; j < k; j++) {
            Map<String, Object> arm = new LinkedHashMap<>();
            arm.put("cost", data.costs()[j]);
            arm.put("outcomeRate", interval(full[armIndex(j)], replicates[armIndex(j)]));
            arms.put(data.arms().get(j), arm);
            if (j > 0) {
                Map<String, Object> mix = new LinkedHashMap<>();
                mix.put("shareTreated", Math.min(1, data.costs()[j] == 0 ? 1 : options.budget() / data.costs()[j]));
                mix.put("outcomeRate", interval(full[equalCostIndex(k, j)], replicates[equalCostIndex(k, j)]));
                equalCost.put(data.arms().get(j), mix);
            }
        }
        out.put("arms", arms);
        out.put("singleArmAtEqualCost", equalCost);
        out.put("bestSingleArmAtEqualCost", data.arms().get(comparator));
        out.put("gainOverBestSingleArmAtEqualCost", interval(full[0] - full[equalCostIndex(k, comparator)],
                replicates[statCount]));
        out.put("bestSingleArm", Map.of("arm", data.arms().get(bestSingle), "cost", data.costs()[bestSingle]));
        out.put("gainOverBestSingleArm", interval(full[0] - full[armIndex(bestSingle)], replicates[statCount + 1]));
        out.put("evaluationClusters", clusters);
        out.put("bootstrapReplicates", options.bootstrap());
        return out;
    }

    /**
     * [0] policy value, [1] IPW policy cost, [2] planned policy cost, [3..3+k) outcome rate per arm,
     * then for arms 1..k-1 the value of giving that arm at the budget's cost (the rest get arm 0).
     */
    private static double[] statistics(double[] sums, int[] counts, int clusters, int stride, int k, double[] costs,
                                       double budget) {
        double[] total = new double[stride];
        for (int c = 0; c < clusters; c++) {
            int weight = counts == null ? 1 : counts[c];
            if (weight == 0) {
                continue;
            }
            for (int q = 0; q < stride; q++) {
                total[q] += weight * sums[c * stride + q];
            }
        }
        double[] s = new double[3 + k + (k - 1)];
        s[0] = total[0] / total[1];
        s[1] = total[2] / total[1];
        s[2] = total[3] / total[4];
        for (int j = 0; j < k; j++) {
            s[3 + j] = total[5 + 2 * j] / total[6 + 2 * j];
        }
        for (int j = 1; j < k; j++) {
            double q = equalCostShare(budget, costs[0], costs[j]);
            s[3 + k + j - 1] = (1 - q) * s[3] + q * s[3 + j];
        }
        return s;
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

    private static int armIndex(int j) {
        return 3 + j;
    }

    private static int equalCostIndex(int k, int j) {
        return 3 + k + j - 1;
    }

    private static int bestEqualCostArm(double[] s, int k) {
        int best = 1;
        for (int j = 2; j < k; j++) {
            if (s[equalCostIndex(k, j)] > s[equalCostIndex(k, best)]) {
                best = j;
            }
        }
        return best;
    }

    private static int bestSingleArm(double[] s, int k) {
        int best = 1;
        for (int j = 2; j < k; j++) {
            if (s[armIndex(j)] > s[armIndex(best)]) {
                best = j;
            }
        }
        return best;
    }

    private static Estimate interval(double value, double[] replicates) {
        double[] sorted = replicates.clone();
        Arrays.sort(sorted);
        int lo = (int) Math.floor(0.025 * (sorted.length - 1));
        int hi = (int) Math.ceil(0.975 * (sorted.length - 1));
        return new Estimate(value, sorted[lo], sorted[hi]);
    }
}
