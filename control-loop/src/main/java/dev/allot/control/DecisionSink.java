package dev.allot.control;

/**
 * Where decisions go once answered: each adds to its day's totals, its user's coupon history, the decision
 * stream and the index outcomes are matched against. The service's sink is the Redis write-behind log, which
 * batches and retries; an in-memory store applies each at once.
 */
public interface DecisionSink {

    void append(DecisionEvent event);
}
