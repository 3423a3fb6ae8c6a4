package dev.allot.app.auth;

import java.util.Arrays;
import java.util.Optional;

/** What an identity may do on the admin and read APIs. */
public enum Scope {
    /** Write rule drafts, validate and test them, run dry-runs. */
    RULES_EDIT("rules:edit"),
    /** Approve, activate and roll back rule sets. */
    RULES_APPROVE("rules:approve"),
    /** PID gains, λ overrides and freezes, λ₀, model swaps. */
    OPS("ops"),
    /** City state, rule versions, the audit trail. */
    READ("read");

    private final String claim;

    Scope(String claim) {
        this.claim = claim;
    }

    /** The scope as tokens and JWT claims spell it. */
    public String claim() {
        return claim;
    }

    public static Optional<Scope> of(String claim) {
        return Arrays.stream(values()).filter(s -> s.claim.equals(claim)).findFirst();
    }
}
