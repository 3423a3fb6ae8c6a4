package dev.allot.tools;

import dev.allot.engine.Json;
import dev.allot.evaluation.LoggedCsv;
import dev.allot.evaluation.LoggedData;
import dev.allot.evaluation.PolicyEvaluation;
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
        description = "Train on half of the clusters, choose arms for the other half with the lambda-argmax under an"
                + " average-cost budget, and estimate the policy's outcome rate by IPW with cluster-bootstrap CIs.")
public final class EvaluateCommand implements Callable<Integer> {

    @Option(names = "--data", required = true, description = "CSV (or .csv.gz) with a header")
    Path data;

    @Option(names = "--treatment", required = true, description = "Column holding the arm each unit got")
    String treatment;

    @Option(names = "--outcome", required = true, description = "Column holding the 0/1 outcome")
    String outcome;

    @Option(names = "--cluster", description = "Column naming the unit of randomization and resampling (e.g. a"
            + " household); without it, each row is its own unit")
    String cluster;

    @Option(names = "--features", required = true, split = ",", description = "Pre-treatment feature columns")
    List<String> features;

    @Option(names = "--arms", required = true, split = ",", description = "Arm names, ordered by cost")
    List<String> arms;

    @Option(names = "--costs", required = true, split = ",", description = "Cost of each arm")
    double[] costs;

    @Option(names = "--propensity", description = "Column holding the logging probability of the unit's arm")
    String propensityColumn;

    @Option(names = "--propensities", split = ",",
            description = "Logging probability of each arm, in --arms order (fractions like 5/9 allowed)")
    List<String> propensities;

    @Option(names = "--budget", required = true, description = "Average cost per unit the policy may spend")
    double budget;

    @Option(names = "--train-share", defaultValue = "0.5", description = "default: ${DEFAULT-VALUE}")
    double trainShare;

    @Option(names = "--bootstrap", defaultValue = "200", description = "Cluster bootstrap replicates")
    int bootstrap;

    @Option(names = "--rounds", defaultValue = "300", description = "Most boosting rounds")
    int rounds;

    @Option(names = "--depth", defaultValue = "4", description = "Tree depth")
    int depth;

    @Option(names = "--seed", defaultValue = "1", description = "Split, training and bootstrap seed")
    long seed;

    @Override
    public Integer call() throws Exception {
        long started = System.nanoTime();
        double[] fixed = propensities == null ? null
                : propensities.stream().mapToDouble(EvaluateCommand::fraction).toArray();
        LoggedData logged = LoggedCsv.read(data, new LoggedCsv.Spec(treatment, outcome, cluster, features, arms, costs,
                propensityColumn, fixed));
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("data", data.toString());
        report.put("rows", logged.rows());
        report.put("arms", arms);
        report.put("costs", Arrays.stream(costs).boxed().toList());
        report.putAll(PolicyEvaluation.run(logged, new PolicyEvaluation.Options(budget, trainShare, seed, bootstrap,
                rounds, depth)));
        report.put("elapsedMs", (System.nanoTime() - started) / 1_000_000);
        System.out.println(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(report));
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
