package dev.allot.scoring.training;

import dev.allot.scoring.XGBoostModel;
import ml.dmlc.xgboost4j.java.Booster;
import ml.dmlc.xgboost4j.java.DMatrix;
import ml.dmlc.xgboost4j.java.XGBoost;
import ml.dmlc.xgboost4j.java.XGBoostError;

import java.util.HashMap;
import java.util.Map;

/** Trains a {@code binary:logistic} XGBoost model on a {@link TrainingSet}. Blocking: call off event loops. */
public final class ModelTrainer {

    /**
     * @param monotoneInCoupon constrain the prediction to be non-decreasing in the coupon column
     */
    public record Parameters(int rounds, int maxDepth, double eta, boolean monotoneInCoupon, long seed,
                             int threads) {

        public Map<String, Object> boosterParams(TrainingSet data) {
            Map<String, Object> p = new HashMap<>();
            p.put("objective", "binary:logistic");
            p.put("eval_metric", "logloss");
            p.put("max_depth", maxDepth);
            p.put("eta", eta);
            p.put("seed", seed);
            p.put("nthread", threads);
            p.put("tree_method", "hist");
            if (monotoneInCoupon) {
                StringBuilder constraints = new StringBuilder("(");
                for (int i = 0; i < data.schema().size(); i++) {
                    constraints.append(i == 0 ? "" : ",").append(i == data.schema().couponIndex() ? 1 : 0);
                }
                p.put("monotone_constraints", constraints.append(')').toString());
            }
            return p;
        }
    }

    private ModelTrainer() {
    }

    public static XGBoostModel train(TrainingSet data, Parameters parameters) {
        DMatrix matrix = null;
        try {
            matrix = new DMatrix(data.features(), data.rows(), data.schema().size(), Float.NaN);
            matrix.setLabel(data.labels());
            matrix.setFeatureNames(data.schema().names().toArray(String[]::new));
            Booster booster = XGBoost.train(matrix, parameters.boosterParams(data), parameters.rounds(),
                    Map.of(), null, null);
            return new XGBoostModel(booster, data.schema());
        } catch (XGBoostError e) {
            throw new IllegalStateException("XGBoost training failed: " + e.getMessage(), e);
        } finally {
            if (matrix != null) {
                matrix.dispose();
            }
        }
    }
}
