package dev.allot.evaluation;

import dev.allot.scoring.CsvTable;
import dev.allot.scoring.training.FeatureColumns;
import dev.allot.scoring.training.Leakage;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads randomized logged data from any CSV (gzip allowed) given the names of its columns. The outcome is
 * binary (1/0 in any numeric form, yes/no, y/n, true/false) or an amount; features are read as
 * {@link FeatureColumns} reads them for {@code allot train} (text categories coded in lexical or declared order,
 * reported in {@link LoggedData#encodings()}).
 */
public final class LoggedCsv {

    /**
     * Which columns mean what. Either {@code propensityColumn} names a column, or {@code propensities} gives the
     * logging probability of each arm (in {@code arms} order); either {@code costs} gives each arm's cost, or
     * {@code costColumn} each unit's.
     */
    public record Spec(String treatment, String outcome, String cluster, List<String> features, List<String> arms,
                       double[] costs, String propensityColumn, double[] propensities, String costColumn) {
        public Spec(String treatment, String outcome, String cluster, List<String> features, List<String> arms,
                    double[] costs, String propensityColumn, double[] propensities) {
            this(treatment, outcome, cluster, features, arms, costs, propensityColumn, propensities, null);
        }

        public Spec {
            refuseAsFeature(features, costColumn, "the cost each unit incurred, known only after its arm");
            if ((costs == null) == (costColumn == null)) {
                throw new IllegalArgumentException("give exactly one of --costs (per arm) and --cost-column (per"
                        + " unit)");
            }
            if (costs == null) {
                costs = new double[arms.size()];
            }
            refuseAsFeature(features, outcome, "the outcome: the policy would see what it is judged on");
            refuseAsFeature(features, treatment, "the treatment: the policy would see what it is choosing");
            refuseAsFeature(features, propensityColumn, "the logging propensity, a property of the experiment, not"
                    + " of the unit");
            refuseAsFeature(features, cluster, "the cluster, an identifier: a model would memorise units instead"
                    + " of learning from their features");
            if (arms.size() != costs.length) {
                throw new IllegalArgumentException("--arms names " + arms.size() + " arms but --costs gives "
                        + costs.length + " costs");
            }
            for (int j = 0; j < costs.length; j++) {
                if (!Double.isFinite(costs[j])) {
                    throw new IllegalArgumentException("--costs: the cost of arm " + arms.get(j)
                            + " must be a finite number, got " + costs[j]);
                }
            }
            if ((propensityColumn == null) == (propensities == null)) {
                throw new IllegalArgumentException("give exactly one of --propensity (a column) and --propensities");
            }
            if (propensities != null && propensities.length != arms.size()) {
                throw new IllegalArgumentException("--propensities gives " + propensities.length + " values for "
                        + arms.size() + " arms");
            }
            if (propensities != null) {
                double sum = 0;
                for (int j = 0; j < propensities.length; j++) {
                    if (!(propensities[j] > 0 && propensities[j] <= 1)) {
                        throw new IllegalArgumentException("--propensities: the probability of arm " + arms.get(j)
                                + " must be in (0, 1], got " + propensities[j]);
                    }
                    sum += propensities[j];
                }
                // Rounded shares (0.33, 0.33, 0.33) pass; a share counted twice or left out does not.
                if (Math.abs(sum - 1) > 0.011) {
                    throw new IllegalArgumentException(String.format(Locale.ROOT, "--propensities sum to %s"
                            + " over the %d arms: the logging probabilities of the arms must sum to 1",
                            Math.round(sum * 1e6) / 1e6, arms.size()));
                }
            }
        }
    }

    private static void refuseAsFeature(List<String> features, String column, String what) {
        if (column != null && features.contains(column)) {
            throw new IllegalArgumentException("--features names " + column + ", " + what);
        }
    }

    private LoggedCsv() {
    }

    public static LoggedData read(Path file, Spec spec) throws IOException {
        return read(file, spec, Map.of());
    }

    /** {@link #read} with declared orders for some text features ({@code --category-order}). */
    public static LoggedData read(Path file, Spec spec, Map<String, List<String>> categoryOrders) throws IOException {
        try (CsvTable csv = CsvTable.open(file)) {
            int treatmentColumn = csv.column(spec.treatment());
            int outcomeColumn = csv.column(spec.outcome());
            // No cluster: each row was randomized on its own, and is its own unit of resampling.
            int clusterColumn = spec.cluster() == null ? -1 : csv.column(spec.cluster());
            int propensityColumn = spec.propensityColumn() == null ? -1 : csv.column(spec.propensityColumn());
            int costColumn = spec.costColumn() == null ? -1 : csv.column(spec.costColumn());
            List<Float> unitCosts = new ArrayList<>();
            int[] featureColumns = spec.features().stream().mapToInt(csv::column).toArray();
            Map<String, Integer> armIndex = new HashMap<>();
            for (int j = 0; j < spec.arms().size(); j++) {
                armIndex.put(spec.arms().get(j).strip(), j);
            }
            int width = featureColumns.length;
            FeatureColumns columns = new FeatureColumns(spec.features(), categoryOrders);
            List<float[]> rows = new ArrayList<>();
            List<Integer> arms = new ArrayList<>();
            List<Float> outcomes = new ArrayList<>();
            List<Double> propensities = new ArrayList<>();
            List<Integer> clusters = new ArrayList<>();
            Map<String, Integer> clusterIndex = new HashMap<>();
            List<String> clusterNames = new ArrayList<>();
            for (CsvTable.Row record : csv) {
                String treatment = record.get(treatmentColumn);
                Integer arm = armIndex.get(treatment);
                if (arm == null) {
                    throw new IllegalArgumentException(file + ":" + record.line() + ": treatment '" + treatment
                            + "' is not one of --arms " + spec.arms());
                }
                float[] row = new float[width];
                for (int f = 0; f < width; f++) {
                    try {
                        row[f] = columns.encode(f, record.get(featureColumns[f]));
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException(file + ":" + record.line() + ": " + e.getMessage(), e);
                    }
                }
                double p = propensityColumn < 0 ? spec.propensities()[arm] : csv.number(record, propensityColumn);
                if (!(p > 0 && p <= 1)) {
                    throw new IllegalArgumentException(file + ":" + record.line() + ": propensity must be in (0, 1], got "
                            + p);
                }
                String cluster = clusterColumn < 0 ? Long.toString(record.line()) : record.get(clusterColumn);
                Integer c = clusterIndex.computeIfAbsent(cluster, k -> {
                    clusterNames.add(k);
                    return clusterNames.size() - 1;
                });
                if (costColumn >= 0) {
                    float cost = csv.number(record, costColumn);
                    if (Float.isNaN(cost)) {
                        throw new IllegalArgumentException(file + ":" + record.line() + ": cost column "
                                + spec.costColumn() + " is empty");
                    }
                    unitCosts.add(cost);
                }
                rows.add(row);
                arms.add(arm);
                outcomes.add(outcome(record, outcomeColumn, file, spec.outcome()));
                propensities.add(p);
                clusters.add(c);
            }
            int n = rows.size();
            float[] features = new float[n * width];
            for (int i = 0; i < n; i++) {
                System.arraycopy(rows.get(i), 0, features, i * width, width);
            }
            Map<String, Map<String, Integer>> encodings = columns.finish(features, n, "leave it out of --features");
            int[] armOf = arms.stream().mapToInt(Integer::intValue).toArray();
            int[] perArm = new int[spec.arms().size()];
            for (int a : armOf) {
                perArm[a]++;
            }
            for (int j = 0; j < perArm.length; j++) {
                if (perArm[j] == 0) {
                    throw new IllegalArgumentException(file + ": no row has arm " + spec.arms().get(j) + " (--arms "
                            + spec.arms() + "): a randomized experiment logs every arm");
                }
            }
            double[] propensity = propensities.stream().mapToDouble(Double::doubleValue).toArray();
            int[] clusterOf = clusters.stream().mapToInt(Integer::intValue).toArray();
            checkPropensities(spec, armOf, propensity, clusterOf, clusterNames.size());
            float[] unitCost = costColumn < 0 ? null : toFloats(unitCosts);
            double[] costs = unitCost == null ? spec.costs() : meanCosts(spec, armOf, propensity, unitCost);
            float[] outcome = toFloats(outcomes);
            boolean binary = true;
            for (float y : outcome) {
                binary &= y == 0f || y == 1f;
            }
            Leakage.refuse(features, spec.features(), binary ? outcome : aboveMedian(outcome), spec.outcome(),
                    "leave it out of --features");
            return new LoggedData(List.copyOf(spec.features()), features, List.copyOf(spec.arms()), costs, armOf,
                    outcome, propensity, clusterOf, clusterNames, encodings, binary, unitCost);
        }
    }

    /** Each arm's mean cost per unit given it (self-normalised IPW, as the outcomes). */
    private static double[] meanCosts(Spec spec, int[] arm, double[] propensity, float[] unitCost) {
        int k = spec.arms().size();
        double[] sum = new double[k];
        double[] weight = new double[k];
        for (int i = 0; i < arm.length; i++) {
            sum[arm[i]] += unitCost[i] / propensity[i];
            weight[arm[i]] += 1 / propensity[i];
        }
        double[] mean = new double[k];
        for (int j = 0; j < k; j++) {
            if (weight[j] == 0) {
                throw new IllegalArgumentException("arm " + spec.arms().get(j) + " has no units: its cost is unknown");
            }
            mean[j] = sum[j] / weight[j];
        }
        return mean;
    }

    /**
     * Checks the propensities against the arms actually logged: for every arm, the average over all units of
     * "logged this arm / its propensity" is 1 in expectation, whatever the features, when each unit's propensity
     * is the probability it had of getting its arm. Propensities that do not sum to one over the arms, or that
     * belong to another design, move it by more than sampling allows (four cluster-robust standard errors, and at
     * least 0.02).
     */
    private static void checkPropensities(Spec spec, int[] arm, double[] propensity, int[] cluster, int clusters) {
        int n = arm.length;
        if (n == 0) {
            return;
        }
        for (int j = 0; j < spec.arms().size(); j++) {
            double[] perCluster = new double[clusters];
            double sum = 0;
            for (int i = 0; i < n; i++) {
                double x = arm[i] == j ? 1 / propensity[i] : 0;
                sum += x;
                perCluster[cluster[i]] += x - 1;
            }
            double mean = sum / n;
            double variance = 0;
            for (double c : perCluster) {
                variance += c * c;
            }
            double se = Math.sqrt(variance) / n;
            double allowed = Math.max(0.02, 4 * se);
            if (Math.abs(mean - 1) > allowed) {
                throw new IllegalArgumentException(String.format(Locale.ROOT, "arm %s: units logged with it, each"
                        + " weighted by 1/propensity, average %.3f per unit where 1 is expected (± %.3f): the"
                        + " propensities (%s) are not the probabilities the arms were assigned with", spec.arms().get(j),
                        mean, allowed, spec.propensityColumn() != null ? "column " + spec.propensityColumn()
                                : "--propensities"));
            }
        }
    }

    /**
     * An outcome: yes/no, y/n and true/false as 1/0 (a binary outcome), or any finite number (a binary one in any
     * numeric form, such as pandas' {@code 1.0}, or an amount such as spend).
     */
    private static float outcome(CsvTable.Row record, int column, Path file, String name) {
        String cell = record.get(column).strip();
        switch (cell.toLowerCase(Locale.ROOT)) {
            case "yes", "y", "true" -> {
                return 1f;
            }
            case "no", "n", "false" -> {
                return 0f;
            }
            default -> {
                try {
                    float v = Float.parseFloat(cell);
                    if (Float.isFinite(v)) {
                        return v == 0f ? 0f : v;
                    }
                } catch (NumberFormatException e) {
                    // reported below
                }
                throw new IllegalArgumentException(file + ":" + record.line() + ": outcome " + name + " must be a"
                        + " number (1/0 or an amount) or yes/no, y/n, true/false, got '" + cell + "'");
            }
        }
    }

    /** A continuous outcome as "above its median", for the leakage check, which needs two classes. */
    private static float[] aboveMedian(float[] outcome) {
        float[] sorted = outcome.clone();
        java.util.Arrays.sort(sorted);
        float median = sorted.length == 0 ? 0 : sorted[sorted.length / 2];
        float[] above = new float[outcome.length];
        for (int i = 0; i < outcome.length; i++) {
            above[i] = outcome[i] > median ? 1f : 0f;
        }
        return above;
    }

    private static float[] toFloats(List<Float> values) {
        float[] a = new float[values.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = values.get(i);
        }
        return a;
    }
}
