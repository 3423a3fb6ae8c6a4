package dev.allot.scoring;

/**
 * A purchase-probability model over a fixed feature schema. Rows are dense, row-major, with
 * {@link Float#NaN} for a missing value (the model routes it down its default branch).
 */
public interface ConversionModel {

    FeatureSchema schema();

    /** Probability of purchase for each of {@code rows} rows of {@code data}, written to {@code out}. */
    void predict(float[] data, int rows, double[] out);
}
