package dev.allot.control;


import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * One controller tick for one city, against the state all replicas share: take (or renew) the city's lock,
 * read the day's totals and the controller state, step the {@link PidController}, write lambda and state
 * back if the lock is still ours. A replica that does not hold the lock does nothing, so each city is
 * steered by exactly one replica at a time; the lock is a short lease the holder renews, released when the holder
 * stops, so if that replica stops or dies another takes over within a lease.
 */
public final class PidTicker {

    /** A tick's result: the new state, or empty when another replica holds the lock or the city is frozen. */
    public record Tick(Optional<PidState> state, double error, CityTotals totals) {
    }

    private final CityStateStore store;
    private final String owner;

    public PidTicker(CityStateStore store, String owner) {
        this.store = store;
        this.owner = owner;
    }

    /**
     * @param initialLambda lambda to start from when the city has no stored state (the offline lambda)
     * @param realized      steer on realized (reported purchases) rather than expected totals
     */
    public CompletionStage<Tick> tick(String city, String day, BudgetConstraint constraint, PidGains gains,
                                      double initialLambda, boolean realized, long nowMillis) {
        return store.lock(city, owner, leaseMillis(gains)).thenCompose(held -> {
            if (!held) {
                return CompletableFuture.completedFuture(new Tick(Optional.empty(), Double.NaN, CityTotals.EMPTY));
            }
            CompletableFuture<Map<String, String>> pid = store.pidFields(city).toCompletableFuture();
            CompletableFuture<CityTotals> totals = store.totals(city, day).toCompletableFuture();
            CompletableFuture<Optional<Double>> lambda0 = store.lambda0(city, day).toCompletableFuture();
            return CompletableFuture.allOf(pid, totals, lambda0).thenCompose(ignored -> {
                Map<String, String> fields = pid.join();
                CityTotals t = totals.join();
                if (frozen(fields, nowMillis) || notDue(fields, day, gains, nowMillis)) {
                    return CompletableFuture.completedFuture(new Tick(Optional.empty(), Double.NaN, t));
                }
                PidState previous = stateOf(fields, day, initialLambda, lambda0.join(), gains);
                // Nothing measured yet (a day just begun): no step, or its zero error would become the reference
                // that the first real error kicks λ away from. A new day's start is written, so every replica
                // decides with the day's λ and the state shows a fresh integral.
                if (Double.isNaN(constraint.measure(t, realized))) {
                    boolean newDay = !day.equals(fields.get("day"));
                    return (newDay ? store.writePid(city, owner, day, previous, gains, nowMillis)
                            : CompletableFuture.completedFuture(false))
                            .thenApply(written -> new Tick(Optional.empty(), Double.NaN, t));
                }
                double error = constraint.error(t, realized);
                PidState next = PidController.step(previous, gains, error, gains.intervalSeconds());
                return store.writePid(city, owner, day, next, gains, nowMillis)
                        .thenApply(written -> new Tick(written ? Optional.of(next) : Optional.empty(), error, t));
            });
        });
    }

    /**
     * Whether λ is frozen (by an operator) at {@code nowMillis}: {@code frozen} is set and its expiry,
     * {@code frozenUntil} (ms; absent or 0 for none), has not passed. At the expiry the next tick steers again,
     * from the λ the freeze held (bumpless).
     */
    public static boolean frozen(Map<String, String> fields, long nowMillis) {
        if (!"1".equals(fields.get("frozen"))) {
            return false;
        }
        String until = fields.get("frozenUntil");
        if (until == null || until.isEmpty() || "0".equals(until)) {
            return true;
        }
        try {
            return nowMillis < Long.parseLong(until);
        } catch (NumberFormatException e) {
            return true;
        }
    }

    /** The steering signal stored by ops ({@code steerOn}: expected or realized), else the city's own. */
    public static boolean realizedSteering(Map<String, String> fields, boolean configured) {
        String steerOn = fields.get("steerOn");
        return steerOn == null ? configured : "realized".equals(steerOn);
    }

    /**
     * Whether the city's last step, by whichever replica, is less than an interval old (less 10 % for timer
     * jitter): a replica that has just taken the lease over waits for the interval, rather than stepping again
     * right after the previous holder. A new day is always due.
     */
    static boolean notDue(Map<String, String> fields, String day, PidGains gains, long nowMillis) {
        String updatedAt = fields.get("updatedAt");
        if (updatedAt == null || !day.equals(fields.get("day"))) {
            return false;
        }
        return nowMillis - Long.parseLong(updatedAt) < 0.9 * gains.intervalSeconds() * 1_000;
    }

    /** The replica this ticker steers for, as the lock records it. */
    public String owner() {
        return owner;
    }

    /**
     * How long the city's lock outlives its holder's last renewal: one interval, between 1 and 6 seconds. The
     * holder renews it every third of that ({@link #renew}), so a replica that stops or dies is replaced within
     * one lease and a renewal, under two intervals and under 10 seconds.
     */
    public static long leaseMillis(PidGains gains) {
        return Math.max(1_000L, Math.min(6_000L, Math.round(gains.intervalSeconds() * 1000)));
    }

    /** Takes or renews the city's lock between ticks; true while this replica holds it. */
    public CompletionStage<Boolean> renew(String city, PidGains gains) {
        return store.lock(city, owner, leaseMillis(gains));
    }

    /** Gives the lock up (a replica stopping), so another takes over at its next renewal. */
    public CompletionStage<Boolean> release(String city) {
        return store.unlock(city, owner);
    }

    /**
     * The stored state if it belongs to {@code day}. On a new day the law centres afresh (no integral, no
     * derivative) on the day's offline lambda if one was stored, else on the last day's closing lambda (or the
     * initial one when nothing is stored at all). Within a day, a λ that is not the controller's own last output
     * (an operator's override, the value a freeze held) or gains other than the last step's are taken over without
     * a bump ({@link PidController#rebase}).
     */
    static PidState stateOf(Map<String, String> fields, String day, double initialLambda, Optional<Double> lambda0,
                            PidGains gains) {
        String lambda = fields.get("lambda");
        if (lambda == null) {
            return PidState.start(gains.clamp(lambda0.orElse(initialLambda)));
        }
        String storedDay = fields.get("day");
        // An admin override stores lambda without a day: that is today's lambda, not a new day.
        if (storedDay != null && !storedDay.equals(day)) {
            return PidState.start(gains.clamp(lambda0.orElse(Double.parseDouble(lambda))));
        }
        double inForce = Double.parseDouble(lambda);
        PidState stored = new PidState(inForce, Double.parseDouble(fields.getOrDefault("base", lambda)),
                Double.parseDouble(fields.getOrDefault("integral", "0")),
                Double.parseDouble(fields.getOrDefault("lastError", "NaN")),
                Long.parseLong(fields.getOrDefault("ticks", "0")));
        boolean ownOutput = lambda.equals(fields.get("output"));
        boolean sameGains = PidState.steppedWith(gains).equals(fields.get("steppedWith"));
        return ownOutput && sameGains && fields.containsKey("base") ? stored : PidController.rebase(stored, gains, inForce);
    }
}
