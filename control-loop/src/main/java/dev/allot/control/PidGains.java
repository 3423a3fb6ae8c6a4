package dev.allot.control;

/**
 * A city's controller tuning, set by ops. Validation messages quote the valid range.
 *
 * @param intervalSeconds how often the controller ticks; also its {@code dt}
 */
public record PidGains(double kp, double ki, double kd, double intervalSeconds, double lambdaMin,
                       double lambdaMax) {

    public PidGains {
        requireFinite("kp", kp);
        requireFinite("ki", ki);
        requireFinite("kd", kd);
        if (!(intervalSeconds > 0) || intervalSeconds > 86_400) {
            throw new IllegalArgumentException("pid.intervalSeconds must be in (0, 86400], got " + intervalSeconds);
        }
        if (!(lambdaMin >= 0) || !Double.isFinite(lambdaMax) || !(lambdaMax >= lambdaMin)) {
            throw new IllegalArgumentException("pid.lambdaMin and pid.lambdaMax must satisfy 0 <= lambdaMin <= "
                    + "lambdaMax < infinity, got [" + lambdaMin + ", " + lambdaMax + "]");
        }
    }

    private static void requireFinite(String name, double v) {
        if (!Double.isFinite(v) || v < 0) {
            throw new IllegalArgumentException("pid." + name + " must be a finite number >= 0, got " + v);
        }
    }

    public double clamp(double lambda) {
        return Math.max(lambdaMin, Math.min(lambdaMax, lambda));
    }
}
