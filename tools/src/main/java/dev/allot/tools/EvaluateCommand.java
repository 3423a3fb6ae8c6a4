package dev.allot.tools;

import dev.allot.engine.Json;
import dev.allot.evaluation.ArmModel;
import dev.allot.evaluation.EvaluationReport;
import dev.allot.evaluation.LoggedCsv;
import dev.allot.evaluation.LoggedData;
import dev.allot.evaluation.PolicyEvaluation;
import dev.allot.scoring.training.Boosting;
import dev.allot.scoring.training.FeatureColumns;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** Off-policy evaluation of the project's policy on randomized logged data (any CSV, gzip allowed). */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = "Train on part of the clusters, choose arms for the rest with the lambda-argmax under an"
                + " average-cost budget, and estimate the policy's outcome by IPW with cluster-bootstrap CIs, against"
                + " what no targeting reaches at the same cost; with the budget curve and Qini curves from the same"
                + " fit.")
public final class EvaluateCommand implements Callable<Integer> {

    @Option(names = "--data", required = true, description = "CSV (or .csv.gz) with a header")
    Path data;

    @Option(names = "--treatment", required = true, description = "Column holding the arm each unit got")
    String treatment;

    @Option(names = "--outcome", required = true,
            description = "Column holding the outcome: binary (1/0, 1.0/0.0, yes/no, true/false) or an amount")
    String outcome;

    @Option(names = "--cluster", description = "Column naming the unit of randomization and resampling (e.g. a"
            + " household); without it, each row is its own unit")
    String cluster;

    @Option(names = "--features", required = true, split = ",", description = "Pre-treatment feature columns")
    List<String> features;

    @Option(names = "--arms", required = true, split = ",", description = "Arm names (by cost for a ladder)")
    List<String> arms;

    @Option(names = "--costs", split = ",", description = "Cost of each arm, per unit")
    double[] costs;

    @Option(names = "--cost-column", description = "Column holding each unit's own cost under its arm (e.g. a coupon"
            + " paid only on purchase), instead of --costs: a model of it predicts each unit's cost under each arm")
    String costColumn;

    @Option(names = "--propensity", description = "Column holding the logging probability of the unit's arm")
    String propensityColumn;

    @Option(names = "--propensities", split = ",",
            description = "Logging probability of each arm, in --arms order (fractions like 5/9 allowed)")
    List<String> propensities;

    @Option(names = "--category-order", description = "A text feature's categories in order, lowest first:"
            + " column=first,second,... (repeatable; default: lexical order)")
    List<String> categoryOrders;

    @Option(names = "--budget", description = "Average cost per unit the policy may spend (optional with"
            + " --objective outcome-minus-cost)")
    Double budget;

    @Option(names = "--budgets", split = ",", description = "Budgets of the budget curve (default: 11 from the"
            + " cheapest arm's cost to what the unconstrained policy spends), e.g. 0,1,2.5,5")
    double[] budgets;

    @Option(names = "--model", defaultValue = "ladder", description = "ladder (arms ordered by cost, monotone),"
            + " pooled (one model, an indicator per arm) or per-arm (one model per arm); default: ${DEFAULT-VALUE}")
    String model;

    @Option(names = "--objective", defaultValue = "outcome",
            description = "outcome or outcome-minus-cost; default: ${DEFAULT-VALUE}")
    String objective;

    @Option(names = "--train-share", defaultValue = "0.5", description = "default: ${DEFAULT-VALUE}")
    double trainShare;

    @Option(names = "--folds", defaultValue = "0", description = "Cross-fitting: K >= 2 models, each trained"
            + " without one fold of clusters and choosing for it, so every unit is evaluated; 0 (default): one split"
            + " by --train-share")
    int folds;

    @Option(names = "--repeats", defaultValue = "1", description = "Repeat the whole evaluation with seeds seed,"
            + " seed+1, ... (other splits or folds, other trees) and combine: the median and an interval that includes"
            + " the training's variance (repeated cross-fitting); default: ${DEFAULT-VALUE}")
    int repeats;

    @Option(names = "--bootstrap", defaultValue = "200", description = "Cluster bootstrap replicates")
    int bootstrap;

    @Option(names = "--rounds", defaultValue = "300", description = "Most boosting rounds")
    int rounds;

    @Option(names = "--depth", defaultValue = "4", description = "Tree depth")
    int depth;

    @Option(names = "--seed", defaultValue = "1", description = "Split, training and bootstrap seed")
    long seed;

    @Option(names = "--out", description = "Directory for report.md, report.json, arms.csv, budget-curve.csv,"
            + " qini.csv, assignment.csv and the SVG plots")
    Path out;

    @Option(names = "--json", description = "Print the full report as JSON instead of the summary")
    boolean json;

    @Option(names = "--quiet", description = "No training progress on standard error")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        long started = System.nanoTime();
        double[] fixed = propensities == null ? null
                : propensities.stream().mapToDouble(EvaluateCommand::fraction).toArray();
        LoggedData logged = LoggedCsv.read(data, new LoggedCsv.Spec(treatment, outcome, cluster, features, arms, costs,
                propensityColumn, fixed, costColumn), FeatureColumns.parseOrders(categoryOrders));
        PolicyEvaluation.Goal goal = PolicyEvaluation.Goal.parse(objective);
        PolicyEvaluation.Options options = new PolicyEvaluation.Options(
                budget == null ? Double.POSITIVE_INFINITY : budget, trainShare, seed, bootstrap, rounds, depth,
                ArmModel.Kind.parse(model), goal, budgets, quiet ? Boosting.QUIET : Boosting.STDERR, folds);
        PolicyEvaluation.Plan plan = PolicyEvaluation.plan(logged, options);
        Map<String, Object> estimates = PolicyEvaluation.report(logged, plan, options);
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("data", data.toString());
        report.put("rows", logged.rows());
        report.put("seed", seed);
        report.put("arms", arms);
        report.put("costs", Arrays.stream(logged.costs()).boxed().toList());
        if (costColumn != null) {
            report.put("costColumn", costColumn);
        }
        report.putAll(estimates);
        if (repeats > 1) {
            List<Map<String, Object>> all = new java.util.ArrayList<>(List.of(estimates));
            for (int r = 1; r < repeats; r++) {
                PolicyEvaluation.Options again = PolicyEvaluation.reseeded(options, seed + r);
                all.add(PolicyEvaluation.report(logged, PolicyEvaluation.plan(logged, again), again));
            }
            report.put("repeated", PolicyEvaluation.repeated(all));
        }
        long elapsed = (System.nanoTime() - started) / 1_000_000;
        report.put("elapsedMs", elapsed);
        String text = Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(report);
        EvaluationReport view = new EvaluationReport(logged, plan, report);
        String summary = view.summary(data.getFileName().toString(), elapsed);
        if (out != null) {
            view.write(out, summary, text);
        }
        System.out.println(json ? text : summary);
        if (out != null && !json) {
            System.out.println("Written to " + out + ": report.md, report.json, arms.csv, budget-curve.csv, qini.csv,"
                    + " assignment.csv, budget-curve.svg, qini.svg");
        }
        return 0;
    }

    private static double fraction(String text) {
        String t = text.strip();
        int slash = t.indexOf('/');
        try {
            return slash < 0 ? Double.parseDouble(t)
                    : Double.parseDouble(t.substring(0, slash)) / Double.parseDouble(t.substring(slash + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--propensities: '" + text + "' is not a probability");
        }
    }
}
