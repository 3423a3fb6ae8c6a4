package dev.allot.control;

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
}
