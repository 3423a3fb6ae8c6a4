package dev.allot.control;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the controller carries from one tick to the next.
 *
 * @param integral  {@code sum_s e_s dt} (frozen while lambda is clamped)
 * @param lastError {@code e_{t-1}}, NaN before the first tick
 * @param ticks     ticks since the day started
 */
public record PidState(double lambda, double integral, double lastError, long ticks) {

    public static PidState start(double lambda) {
        return new PidState(lambda, 0, Double.NaN, 0);
    }

    /** The fields a store keeps for this state, written on {@code day} at {@code nowMillis}. */
    public Map<String, String> fields(String day, long nowMillis) {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("lambda", Double.toString(lambda));
        fields.put("integral", Double.toString(integral));
        fields.put("lastError", Double.toString(lastError));
        fields.put("ticks", Long.toString(ticks));
        fields.put("day", day);
        fields.put("updatedAt", Long.toString(nowMillis));
        return fields;
    }
}
