package dev.allot.scoring;

/**
 * Isotonic regression by pool-adjacent-violators: replaces a sequence by the closest non-decreasing
 * sequence in squared error. Per arrival the input is the K raw conversion predictions ordered by coupon
 * value, so the work is tiny. A monotone input (the usual case with a monotone-constrained model) is copied
 * without allocation; a violating one allocates two arrays of K entries.
 */
public final class Isotonic {

    private Isotonic() {
    }

    /**
     * Writes the non-decreasing fit of {@code in[0..n)} into {@code out[0..n)} (unit weights).
     * {@code out} may be {@code in}. Returns the number of adjacent pairs of {@code in} that were decreasing,
     * which is zero exactly when the input was already monotone.
     */
    public static int fit(double[] in, double[] out, int n) {
        int violations = 0;
        for (int i = 1; i < n; i++) {
            if (in[i] < in[i - 1]) {
                violations++;
            }
        }
        if (violations == 0) {
            if (out != in) {
                System.arraycopy(in, 0, out, 0, n);
            }
            return 0;
        }
        // Blocks form a stack; merging the top two whenever they violate the order keeps it O(n).
        double[] level = new double[n];
        int[] width = new int[n];
        int blocks = 0;
        for (int i = 0; i < n; i++) {
            level[blocks] = in[i];
            width[blocks] = 1;
            blocks++;
            while (blocks > 1 && level[blocks - 2] > level[blocks - 1]) {
                int w = width[blocks - 2] + width[blocks - 1];
                level[blocks - 2] = (level[blocks - 2] * width[blocks - 2] + level[blocks - 1] * width[blocks - 1]) / w;
                width[blocks - 2] = w;
                blocks--;
            }
        }
        int i = 0;
        for (int b = 0; b < blocks; b++) {
            for (int k = 0; k < width[b]; k++) {
                out[i++] = level[b];
            }
        }
        return violations;
    }

    /** Convenience form that returns a new array. */
    public static double[] fit(double[] in) {
        double[] out = new double[in.length];
        fit(in, out, in.length);
        return out;
    }
}
