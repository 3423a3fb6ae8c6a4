package dev.allot.rules;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The only thing rules can change. Inserted as a fact; a rule binds it ({@code $v : Verdict()}) and calls one
 * of {@link #forbid}, {@link #capMaxLevel}, {@link #force}, {@link #deny}. Each call is recorded against the
 * rule that made it, so every effect comes back to the caller as a {@link Reason}.
 *
 * <p>Precedence, from strongest: deny (no coupon), then forbid and caps, then force (a forced level that is
 * forbidden or above a cap is ignored). If nothing is left, the arrival gets no coupon.
 */
public final class Verdict {

    private final int levels;
    private final boolean[] forbidden;
    private int maxLevel;
    private int forced = -1;
    private boolean denied;
    private String currentRule = "?";
    private final Map<String, String> effects = new LinkedHashMap<>();
    private final Map<String, TreeSet<Integer>> forbiddenBy = new LinkedHashMap<>();

    public Verdict(int levels) {
        this.levels = levels;
        this.forbidden = new boolean[levels];
        this.maxLevel = levels - 1;
    }

    /** The rule name a failed evaluation is reported under. */
    public static final String RULES_FAILED = "guardrails-failed";

    /**
     * The verdict when the rules could not be evaluated (a rule threw): no coupon, reported under
     * {@link #RULES_FAILED}. It says nothing of the failure's message, which could carry anything a rule read.
     */
    public static Verdict failed(int levels) {
        Verdict verdict = new Verdict(levels);
        verdict.enterRule(RULES_FAILED);
        verdict.deny("the guardrail rules failed; no coupon until they are fixed");
        return verdict;
    }

    void enterRule(String rule) {
        this.currentRule = rule;
    }

    public void forbid(int level) {
        if (level >= 0 && level < levels) {
            forbidden[level] = true;
            forbiddenBy.computeIfAbsent(currentRule, r -> new TreeSet<>()).add(level);
        }
    }

    public void capMaxLevel(int level) {
        maxLevel = Math.min(maxLevel, level);
        effects.put(currentRule, "maxLevel=" + level);
    }

    public void force(int level) {
        forced = level;
        effects.put(currentRule, "force=" + level);
    }

    public void deny(String why) {
        denied = true;
        effects.put(currentRule, "deny" + (why == null || why.isEmpty() ? "" : ": " + why));
    }

    public boolean isDenied() {
        return denied;
    }

    /**
     * Levels the argmax may choose from. With {@code couponFreeLevel} the level whose coupon is zero (or -1):
     * a denied arrival may only get that level.
     */
    public boolean[] allowed(int couponFreeLevel) {
        boolean[] allowed = new boolean[levels];
        if (denied) {
            if (couponFreeLevel >= 0) {
                allowed[couponFreeLevel] = true;
            }
            return allowed;
        }
        for (int j = 0; j < levels; j++) {
            allowed[j] = !forbidden[j] && j <= maxLevel;
        }
        if (forced >= 0 && forced < levels && allowed[forced]) {
            boolean[] only = new boolean[levels];
            only[forced] = true;
            return only;
        }
        return allowed;
    }

    public List<Reason> reasons() {
        List<Reason> reasons = new ArrayList<>();
        effects.forEach((rule, effect) -> reasons.add(new Reason(rule, effect)));
        forbiddenBy.forEach((rule, set) -> {
            StringBuilder effect = new StringBuilder("forbidden=");
            set.forEach(l -> effect.append(effect.length() > 10 ? "," : "").append(l));
            reasons.add(new Reason(rule, effect.toString()));
        });
        return reasons;
    }
}
