package dev.allot.engine;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/** A validated {@code POST /v1/decisions} body. Absent optional fields are null or empty. */
public record DecisionRequest(String requestId, String city, String userId, String segment,
                              Map<String, Double> features, Map<String, Object> attributes, List<String> campaigns,
                              Instant timestamp) {

    public DecisionRequest {
        features = Map.copyOf(features);
        attributes = Map.copyOf(attributes);
        campaigns = List.copyOf(campaigns);
    }
}
