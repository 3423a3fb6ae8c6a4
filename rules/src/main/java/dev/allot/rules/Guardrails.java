package dev.allot.rules;

import java.util.List;

/**
 * What the decision path asks of guardrail rules: given the facts of one arrival, which levels are allowed and
 * why. Implementations must be pure functions of the facts (no clock, no I/O) and safe to call from many
 * threads, so that a recorded decision replays to the same verdict.
 */
public interface Guardrails {

    /** Identifies the rule set; recorded with every decision. */
    String version();

    Verdict evaluate(Arrival arrival, List<LevelCandidate> candidates, CouponHistory history, DayTotals totals);

    /** No rules: every level allowed. */
    Guardrails NONE = new Guardrails() {
        @Override
        public String version() {
            return "none";
        }

        @Override
        public Verdict evaluate(Arrival arrival, List<LevelCandidate> candidates, CouponHistory history,
                                DayTotals totals) {
            return new Verdict(candidates.size());
        }
    };
}
