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
 * @param unitCost      each unit's own cost under its arm (e.g. a coupon paid only on purchase), or null when
 *                      every unit of an arm costs {@code costs[arm]}; with it, {@code costs} are the arms' mean costs
 */
public record LoggedData(List<String> featureNames, float[] features, List<String> arms, double[] costs, int[] arm,
                         float[] outcome, double[] propensity, int[] clusterIds, List<String> clusterNames,
                         Map<String, Map<String, Integer>> encodings, boolean binaryOutcome, float[] unitCost) {

    public int rows() {
        return arm.length;
    }

    public int width() {
        return featureNames.size();
    }

    /** The same units with another outcome: what a cost model is trained on. */
    public LoggedData withOutcome(float[] y, boolean binary) {
        return new LoggedData(featureNames, features, arms, costs, arm, y, propensity, clusterIds, clusterNames,
                encodings, binary, null);
    }

    /** The cost of unit {@code i} under its logged arm. */
    public double costOf(int i) {
        return unitCost == null ? costs[arm[i]] : unitCost[i];
    }
}
