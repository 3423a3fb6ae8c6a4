package dev.allot.scoring.training;

import dev.allot.scoring.FeatureSchema;

/** Dense row-major features (NaN = missing) with 0/1 purchase labels. */
public record TrainingSet(FeatureSchema schema, float[] features, float[] labels, int rows) {

    public TrainingSet {
        if (features.length != rows * schema.size() || labels.length != rows) {
            throw new IllegalArgumentException("training set of " + rows + " rows needs " + rows * schema.size()
                    + " feature values and " + rows + " labels");
        }
    }
}
