package dev.allot.control;

/**
 * Steers lambda so the day's budget signal tracks its target. With {@code e_t} the error (positive when
 * spending too much) and {@code dt} the tick interval in seconds:
 *
 * <pre>
 *   I_t           = I_{t-1} + e_t dt                  (not accumulated while the output is clamped and
 *                                                      the error would push it further out: anti-windup)
 *   lambda_{t+1}  = clamp(lambda_t + Kp e_t + Ki I_t + Kd (e_t - e_{t-1}) / dt, lambdaMin, lambdaMax)
 * </pre>
 *
 * The derivative term is zero on the first tick of a day. A pure function of its arguments, so it is tested
 * without Redis and without a clock.
 */
public final class PidController {

    private PidController() {
    }

    public static PidState step(PidState state, PidGains gains, double error, double dt) {
        if (!Double.isFinite(error)) {
            return state;
        }
        double derivative = Double.isNaN(state.lastError()) ? 0 : (error - state.lastError()) / dt;
        double integral = state.integral() + error * dt;
        double unclamped = state.lambda() + gains.kp() * error + gains.ki() * integral + gains.kd() * derivative;
        double lambda = gains.clamp(unclamped);
        boolean saturated = lambda != unclamped;
        boolean pushingOut = (unclamped > gains.lambdaMax() && error > 0) || (unclamped < gains.lambdaMin() && error < 0);
        if (saturated && pushingOut) {
            integral = state.integral();
            lambda = gains.clamp(state.lambda() + gains.kp() * error + gains.ki() * integral
                    + gains.kd() * derivative);
        }
        return new PidState(lambda, integral, error, state.ticks() + 1);
    }
}
