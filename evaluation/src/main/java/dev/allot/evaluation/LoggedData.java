package dev.allot.evaluation;

import java.util.List;
import java.util.Map;

/**
 * Randomized logged data, one row per unit: features (NaN = missing), the arm it was given, its outcome, the
 * probability of that arm under the logging policy, and its cluster (e.g. household), which is the unit of
 * randomization and of resampling.
 *
 * @param featureNames  column names of {@code features}, row-major with {@code featureNames.size()} per row
 * @param arms          arm names
 * @param costs         cost of each arm
 * @param clusterIds    cluster index per row, into {@code clusterNames}
 * @param encodings     for text feature columns, the code each value was given
 * @param binaryOutcome whether every outcome is 0 or 1 (a rate), rather than an amount such as spend
 */
public record LoggedData(List<String> featureNames, float[] features, List<String> arms, double[] costs, int[] arm,
                         float[] outcome, double[] propensity, int[] clusterIds, List<String> clusterNames,
                         Map<String, Map<String, Integer>> encodings, boolean binaryOutcome) {

    public int rows() {
        return arm.length;
    }

    public int width() {
        return featureNames.size();
    }
}
