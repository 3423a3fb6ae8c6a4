package dev.allot.app.decision;

/**
 * A validated {@code POST /v1/outcomes} body.
 *
 * @param revenue what the customer paid; null means the decision's offered price
 */
public record OutcomeRequest(String decisionId, boolean converted, Double revenue) {
}
