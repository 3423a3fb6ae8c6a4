package dev.allot.scoring;

/**
 * Turns one arrival's feature vector into its {@link ConversionCurve} over a ladder: K rows that differ
 * only in the coupon column, one model call, then isotonic calibration.
 */
public final class ConversionScorer {

    private final ConversionModel model;
    private final Ladder ladder;
    private final int width;
    private final int couponColumn;

    public ConversionScorer(ConversionModel model, Ladder ladder) {
        this.model = model;
        this.ladder = ladder;
        this.width = model.schema().size();
        this.couponColumn = model.schema().couponIndex();
    }

    public Ladder ladder() {
        return ladder;
    }

    public ConversionModel model() {
        return model;
    }

    /** {@code features} is in schema order with NaN for missing values; its coupon column is ignored. */
    public ConversionCurve score(float[] features) {
        if (features.length != width) {
            throw new IllegalArgumentException("feature vector has " + features.length + " values, schema has "
                    + width);
        }
        int k = ladder.size();
        float[] rows = new float[k * width];
        for (int j = 0; j < k; j++) {
            System.arraycopy(features, 0, rows, j * width, width);
            rows[j * width + couponColumn] = (float) ladder.coupon(j);
        }
        double[] raw = new double[k];
        model.predict(rows, k, raw);
        double[] calibrated = new double[k];
        Isotonic.fit(raw, calibrated, k);
        return new ConversionCurve(raw, calibrated);
    }
}
