package dev.allot.rules;

/**
 * A rule set could not be evaluated for one arrival: a rule threw, or the evaluation passed its firing or time
 * bound. Carries the rule's name when it is known, never the rule's data.
 */
public final class RuleFailure extends RuntimeException {

    /** The name failures are counted under when no single rule can be blamed (a bound, a condition). */
    public static final String UNATTRIBUTED = "(evaluation)";

    private final String rule;

    public RuleFailure(String rule, String message, Throwable cause) {
        super(message, cause, false, false);
        this.rule = rule;
    }

    public String rule() {
        return rule;
    }
}
