package dev.allot.control;

/**
 * Steers λ so the day's budget signal tracks its target, with the textbook (positional) PID law around the day's
 * starting λ. With {@code e_t} the error (positive when spending too much), {@code dt} the tick interval in
 * seconds and {@code λ_base} the day's starting λ (its offline λ₀, else the previous day's close):
 *
 * <pre>
 *   I_t = I_{t-1} + e_t·dt
 *   D_t = (e_t − e_{t-1}) / dt                       (0 on the day's first tick)
 *   λ_t = clamp(λ_base + Kp·e_t + Ki·I_t + Kd·D_t,  λmin, λmax)
 * </pre>
 *
 * The day starts bumpless, as a controller switched from manual to automatic: at the first tick λ_base becomes
 * {@code λ_start − Kp·e_1}, so the first error sets the proportional term's reference rather than kicking λ. From
 * there the law is the velocity form {@code Δλ_t = Kp·Δe_t + Ki·e_t·dt + Kd·Δ²e_t/dt} summed.
 *
 * So {@code kp} answers the error now (units: λ per unit of error), {@code ki} its accumulation over the day (λ per
 * unit of error and second), {@code kd} its rate of change (λ per unit of error per second, times seconds).
 * <ul>
 * <li><b>Anti-windup</b>: while the output is clamped and the error pushes it further out, the integral grows only
 * as far as holds λ at the bound, so λ leaves the bound as soon as the error turns.</li>
 * <li><b>Bumpless transfer</b>: when λ was set by an operator (override, or the value a freeze held), or the gains
 * changed, {@link #rebase} centres the law on the λ in force and forgets the last error, so the next step starts
 * from there as a day does, instead of jumping to where the old state would put it.</li>
 * </ul>
 * Before issue 10 the law added {@code Kp·e} to the previous λ at every tick (a velocity form without the
 * difference), so the old {@code kp} acted as an integral gain: old {@code (kp, ki, kd)} at interval {@code dt}
 * behave as textbook {@code (kd/dt, kp/dt, 0)} here. A pure function, tested without Redis and without a clock.
 */
public final class PidController {

    private PidController() {
    }

    public static PidState step(PidState state, PidGains gains, double error, double dt) {
        if (!Double.isFinite(error)) {
            return state;
        }
        boolean firstTick = Double.isNaN(state.lastError());
        double derivative = firstTick ? 0 : (error - state.lastError()) / dt;
        // The day starts bumpless, as a controller switched from manual (λ₀) to automatic: the first error sets the
        // proportional term's reference instead of kicking λ by Kp·e₁.
        double base = firstTick ? state.base() - gains.kp() * error : state.base();
        double integral = state.integral() + error * dt;
        double unclamped = output(base, gains, error, integral, derivative);
        double lambda = gains.clamp(unclamped);
        boolean pushingOut = (unclamped > gains.lambdaMax() && error > 0) || (unclamped < gains.lambdaMin() && error < 0);
        if (lambda != unclamped && pushingOut) {
            // Anti-windup: the integral grows only as far as holds λ at the bound, never past it.
            if (gains.ki() > 0) {
                double holding = (lambda - base - gains.kp() * error - gains.kd() * derivative) / gains.ki();
                integral = error > 0 ? Math.max(state.integral(), Math.min(integral, holding))
                        : Math.min(state.integral(), Math.max(integral, holding));
            } else {
                integral = state.integral();
            }
            lambda = gains.clamp(output(base, gains, error, integral, derivative));
        }
        return new PidState(lambda, base, integral, error, state.ticks() + 1);
    }

    private static double output(double base, PidGains gains, double error, double integral, double derivative) {
        return base + gains.kp() * error + gains.ki() * integral + gains.kd() * derivative;
    }

    /**
     * The state for taking over {@code lambda} (an operator's override, the value a freeze held, or the λ in force
     * under new gains): the integral is kept, the last error forgotten, so the next step re-centres the
     * proportional term on the error it measures, as at the day's start, and moves λ only by what the integral
     * adds: no bump. λ is clamped to the gains' bounds first.
     */
    public static PidState rebase(PidState state, PidGains gains, double lambda) {
        double held = gains.clamp(lambda);
        return new PidState(held, held - gains.ki() * state.integral(), state.integral(), Double.NaN, state.ticks());
    }
}
