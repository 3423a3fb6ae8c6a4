package dev.allot.scoring;

/**
 * A purchase-probability model over a fixed feature schema. Rows are dense, row-major, with
 * {@link Float#NaN} for a missing value (the model routes it down its default branch).
 */
public interface ConversionModel {

    FeatureSchema schema();

    /** Probability of purchase for each of {@code rows} rows of {@code data}, written to {@code out}. */
    void predict(float[] data, int rows, double[] out);

    /**
     * Probability of purchase for one arrival at each coupon value: {@code features} with its coupon column set
     * to {@code coupons[j]} for {@code out[j]}. Coupons are ascending.
     */
    default void predictLevels(float[] features, float[] coupons, double[] out) {
        int width = schema().size();
        int couponColumn = schema().couponIndex();
        float[] rows = new float[coupons.length * width];
        for (int j = 0; j < coupons.length; j++) {
            System.arraycopy(features, 0, rows, j * width, width);
            rows[j * width + couponColumn] = coupons[j];
        }
        predict(rows, coupons.length, out);
    }
}
