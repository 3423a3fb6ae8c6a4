package dev.allot.scoring;

/**
 * Turns one arrival's feature vector into its {@link ConversionCurve} over a ladder: the model at each
 * coupon value, then isotonic calibration.
 */
public final class ConversionScorer {

    private final ConversionModel model;
    private final Ladder ladder;
    private final int width;
    private final float[] coupons;

    public ConversionScorer(ConversionModel model, Ladder ladder) {
        this.model = model;
        this.ladder = ladder;
        this.width = model.schema().size();
        this.coupons = new float[ladder.size()];
        for (int j = 0; j < coupons.length; j++) {
            coupons[j] = (float) ladder.coupon(j);
        }
    }

    public Ladder ladder() {
        return ladder;
    }

    public ConversionModel model() {
        return model;
    }

    /** The ladder's coupons as the model compares them (floats); not to be modified. */
    public float[] coupons() {
        return coupons;
    }

    /** {@code features} is in schema order with NaN for missing values; its coupon column is ignored. */
    public ConversionCurve score(float[] features) {
        if (features.length != width) {
            throw new IllegalArgumentException("feature vector has " + features.length + " values, schema has "
                    + width);
        }
        int k = ladder.size();
        double[] raw = new double[k];
        model.predictLevels(features, coupons, raw);
        double[] calibrated = new double[k];
        Isotonic.fit(raw, calibrated, k);
        return new ConversionCurve(raw, calibrated);
    }
}
