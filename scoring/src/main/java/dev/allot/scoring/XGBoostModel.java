package dev.allot.scoring;

import ml.dmlc.xgboost4j.java.Booster;
import ml.dmlc.xgboost4j.java.DMatrix;
import ml.dmlc.xgboost4j.java.XGBoost;
import ml.dmlc.xgboost4j.java.XGBoostError;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The native XGBoost4J model, used for batch scoring (offline solves, evaluation) where one native call
 * amortises over many rows, and as the reference the {@link TreeEnsemble} evaluator is checked against.
 * A Booster is not documented as safe for concurrent prediction, so calls are serialised.
 */
public final class XGBoostModel implements ConversionModel, AutoCloseable {

    private final Booster booster;
    private final FeatureSchema schema;

    public XGBoostModel(Booster booster, FeatureSchema schema) {
        this.booster = booster;
        this.schema = schema;
    }

    public static XGBoostModel load(Path modelFile, FeatureSchema schema) {
        try {
            return new XGBoostModel(XGBoost.loadModel(modelFile.toString()), schema);
        } catch (XGBoostError e) {
            throw new ModelFormatException("cannot load XGBoost model " + modelFile + ": " + e.getMessage(), e);
        }
    }

    public Booster booster() {
        return booster;
    }

    @Override
    public FeatureSchema schema() {
        return schema;
    }

    @Override
    public synchronized void predict(float[] data, int rows, double[] out) {
        DMatrix matrix = null;
        try {
            matrix = new DMatrix(data, rows, schema.size(), Float.NaN);
            float[][] predictions = booster.predict(matrix);
            for (int i = 0; i < rows; i++) {
                out[i] = predictions[i][0];
            }
        } catch (XGBoostError e) {
            throw new IllegalStateException("XGBoost prediction failed: " + e.getMessage(), e);
        } finally {
            if (matrix != null) {
                matrix.dispose();
            }
        }
    }

    /** The model in XGBoost's JSON format, which the {@link TreeEnsemble} evaluator reads. */
    public byte[] toJson() {
        return serialize("json");
    }

    public byte[] toUbj() {
        return serialize("ubj");
    }

    private byte[] serialize(String format) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            booster.saveModel(out, format);
            return out.toByteArray();
        } catch (XGBoostError | IOException e) {
            throw new IllegalStateException("cannot serialise model as " + format + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void close() {
        booster.dispose();
    }
}
