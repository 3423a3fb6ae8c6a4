package dev.allot.control;

/**
 * One ladder level as the argmax sees it for one arrival.
 *
 * @param raw        the model's prediction before calibration
 * @param conversion calibrated purchase probability
 * @param value      objective value {@code v_j}
 * @param cost       budget cost {@code c_j}
 * @param score      {@code v_j - lambda * c_j}
 * @param allowed    whether the guardrail rules allow this level
 */
public record Candidate(int level, double coupon, double price, double raw, double conversion, double value,
                        double cost, double score, boolean allowed) {
}
