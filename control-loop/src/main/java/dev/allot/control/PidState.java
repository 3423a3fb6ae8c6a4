package dev.allot.control;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the controller carries from one tick to the next.
 *
 * @param lambda    the λ in force (the law's last output, clamped)
 * @param base      λ_base, the law's centre: the day's starting λ, moved by {@link PidController#rebase}
 * @param integral  {@code sum_s e_s dt} (not grown while λ is clamped and the error pushes it out)
 * @param lastError {@code e_{t-1}}, NaN before the first tick
 * @param ticks     ticks since the day started
 */
public record PidState(double lambda, double base, double integral, double lastError, long ticks) {

    /** A day's first state: the law centred on its starting λ. */
    public static PidState start(double lambda) {
        return new PidState(lambda, lambda, 0, Double.NaN, 0);
    }

    /**
     * The fields a store keeps for this state, written on {@code day} at {@code nowMillis} by a step with
     * {@code gains}: the controller's own output and gains are kept so that a λ set by an operator since, or new
     * gains, are noticed and taken over without a bump.
     */
    public Map<String, String> fields(String day, long nowMillis, PidGains gains) {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("lambda", Double.toString(lambda));
        fields.put("base", Double.toString(base));
        fields.put("integral", Double.toString(integral));
        fields.put("lastError", Double.toString(lastError));
        fields.put("ticks", Long.toString(ticks));
        fields.put("day", day);
        fields.put("updatedAt", Long.toString(nowMillis));
        fields.put("output", Double.toString(lambda));
        fields.put("steppedWith", steppedWith(gains));
        return fields;
    }

    /** The gains a step used, as stored: the law's output depends on these, bounds included. */
    static String steppedWith(PidGains gains) {
        return gains.kp() + "/" + gains.ki() + "/" + gains.kd() + "/" + gains.lambdaMin() + "/" + gains.lambdaMax();
    }
}
