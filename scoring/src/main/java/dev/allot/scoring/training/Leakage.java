package dev.allot.scoring.training;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Finds features that give the outcome away: a column recorded after the outcome (a conversion flag, the amount
 * spent) ranks the units by their outcome almost perfectly on its own, which no honest pre-treatment feature does.
 * Measured as each feature's single-feature AUC against a 0/1 outcome, either way round.
 */
public final class Leakage {

    /** An AUC this close to 0 or 1 from one feature is a leak, not a signal. */
    public static final double THRESHOLD = 0.99;

    private Leakage() {
    }

    /**
     * The AUC of ranking by {@code feature} (column {@code column} of row-major {@code x}, {@code width} wide) for
     * 0/1 labels {@code y}, ties counted as half; rows where the feature is missing (NaN) are left out. NaN when
     * either class is absent.
     */
    public static double auc(float[] x, int width, int column, float[] y) {
        // Sorted as primitive longs, the value's order-preserving bits above the row: a boxed sort of a few hundred
        // thousand rows per feature would cost more than the training it guards.
        long[] keys = new long[y.length];
        int n = 0;
        for (int i = 0; i < y.length; i++) {
            float v = x[i * width + column];
            if (!Float.isNaN(v)) {
                int bits = Float.floatToIntBits(v == 0 ? 0f : v);
                bits ^= (bits >> 31) & 0x7fffffff;
                keys[n++] = ((long) bits << 32) | i;
            }
        }
        Arrays.sort(keys, 0, n);
        double positiveRanks = 0;
        long positives = 0;
        for (int start = 0; start < n; ) {
            int end = start;
            while (end < n && (keys[end] >> 32) == (keys[start] >> 32)) {
                end++;
            }
            double rank = (start + 1 + end) / 2.0;
            for (int i = start; i < end; i++) {
                if (y[(int) keys[i]] > 0.5f) {
                    positiveRanks += rank;
                    positives++;
                }
            }
            start = end;
        }
        long negatives = n - positives;
        if (positives == 0 || negatives == 0) {
            return Double.NaN;
        }
        return (positiveRanks - positives * (positives + 1) / 2.0) / ((double) positives * negatives);
    }

    /**
     * Refuses features that separate the outcome on their own (AUC beyond {@link #THRESHOLD} either way), naming
     * each with its AUC; {@code remedy} says what the user can do about it.
     */
    public static void refuse(float[] x, List<String> names, float[] y, String outcome, String remedy) {
        List<String> leaks = new ArrayList<>();
        for (int f = 0; f < names.size(); f++) {
            double auc = auc(x, names.size(), f, y);
            if (Math.max(auc, 1 - auc) >= THRESHOLD) {
                leaks.add(String.format(Locale.ROOT, "%s (AUC %.3f)", names.get(f), auc));
            }
        }
        if (!leaks.isEmpty()) {
            throw new IllegalArgumentException("feature" + (leaks.size() > 1 ? "s " : " ") + String.join(", ", leaks)
                    + " predict" + (leaks.size() > 1 ? "" : "s") + " " + outcome + " almost perfectly on "
                    + (leaks.size() > 1 ? "their" : "its") + " own: recorded after the outcome, not before the"
                    + " decision; " + remedy);
        }
    }
}
