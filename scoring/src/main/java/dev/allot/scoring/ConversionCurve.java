package dev.allot.scoring;

/**
 * Purchase probability at each ladder level for one arrival: the model's raw prediction and the isotonic
 * (non-decreasing in coupon value) calibration that decisions use.
 */
public record ConversionCurve(double[] raw, double[] calibrated) {

    public ConversionCurve {
        if (raw.length != calibrated.length) {
            throw new IllegalArgumentException("raw and calibrated curves differ in length");
        }
    }

    public int size() {
        return calibrated.length;
    }

    public double at(int level) {
        return calibrated[level];
    }

    /** Whether the raw prediction had to be repaired by calibration. */
    public boolean rawWasMonotone() {
        return nonDecreasing(raw);
    }

    public static boolean nonDecreasing(double[] curve) {
        for (int j = 1; j < curve.length; j++) {
            if (curve[j] < curve[j - 1]) {
                return false;
            }
        }
        return true;
    }
}
