package dev.allot.scoring;

import java.util.List;
import java.util.Map;

/**
 * What a model was trained on and how it did, stored next to the model as {@code model-card.json}.
 * The service refuses a model whose card does not match the model file or the city's ladder.
 *
 * @param version     shown in every decision as {@code modelVersion}
 * @param features    the model's input columns, in order
 * @param couponFeature the column that carries the coupon value
 * @param ladder      coupon values the model was trained over (empty when unknown)
 * @param trainedAt   ISO-8601 instant
 * @param trainingRows rows used for training
 * @param parameters  booster parameters and rounds
 * @param metrics     validation metrics (AUC, log loss, PCOC, ...)
 * @param calibration validation rows by decile of prediction: predicted against observed
 * @param provenance  the command and data that made this model, so that it can be made again
 */
public record ModelCard(String version, List<String> features, String couponFeature, List<Double> ladder,
                        String trainedAt, long trainingRows, Map<String, Object> parameters,
                        Map<String, Double> metrics, List<CalibrationBin> calibration, String provenance) {

    /** One decile of validation rows ordered by prediction. */
    public record CalibrationBin(int decile, long rows, double meanPredicted, double observedRate) {
    }

    public ModelCard {
        features = List.copyOf(features);
        ladder = ladder == null ? List.of() : List.copyOf(ladder);
        parameters = parameters == null ? Map.of() : Map.copyOf(parameters);
        metrics = metrics == null ? Map.of() : Map.copyOf(metrics);
        calibration = calibration == null ? List.of() : List.copyOf(calibration);
    }

    public FeatureSchema schema() {
        return new FeatureSchema(features, couponFeature);
    }
}
