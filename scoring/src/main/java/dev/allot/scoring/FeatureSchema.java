package dev.allot.scoring;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The model's input columns in order, and which one carries the coupon value. Requests name features;
 * the schema turns names into column positions once, when a model is loaded.
 */
public record FeatureSchema(List<String> names, String couponFeature) {

    public FeatureSchema {
        names = List.copyOf(names);
        if (names.isEmpty()) {
            throw new IllegalArgumentException("feature schema must name at least one feature");
        }
        if (names.stream().distinct().count() != names.size()) {
            throw new IllegalArgumentException("feature names must be unique: " + names);
        }
        if (!names.contains(couponFeature)) {
            throw new IllegalArgumentException(
                    "couponFeature '" + couponFeature + "' is not one of the features " + names);
        }
    }

    public int size() {
        return names.size();
    }

    public int couponIndex() {
        return names.indexOf(couponFeature);
    }

    /** Position of each feature name, for building rows without a linear search per request. */
    public Map<String, Integer> positions() {
        Map<String, Integer> positions = new HashMap<>();
        for (int i = 0; i < names.size(); i++) {
            positions.put(names.get(i), i);
        }
        return Map.copyOf(positions);
    }
}
