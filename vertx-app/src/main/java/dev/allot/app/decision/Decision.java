package dev.allot.app.decision;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.allot.control.Candidate;
import dev.allot.rules.Reason;

import java.util.List;

/**
 * The response to one arrival (DESIGN §4). {@code level} is null only when no level is allowed and the ladder
 * has no coupon-free level: the customer then sees the base price.
 *
 * @param propensity probability that this group's policy offers this level (1 for deterministic policies)
 * @param candidates every level's numbers, only with {@code ?explain=true}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Decision(String decisionId, String city, String userId, Integer level, double coupon, double price,
                       String currency, Double expectedConversion, String group, double propensity, double lambda,
                       String modelVersion, String rulesVersion, List<Reason> reasons, List<Candidate> candidates) {
}
