package dev.allot.app.decision;

import dev.allot.control.CityTotals;
import dev.allot.control.PidGains;
import dev.allot.engine.CitySetup;

import java.util.Map;

/**
 * Everything a replica holds for one city: its configuration and model (immutable, swapped whole), and what
 * it last read from Redis: lambda, the day's totals, the controller's gains. Decisions read only this, so
 * they never wait on Redis for lambda.
 */
public final class CityRuntime {

    private volatile CitySetup setup;
    private volatile double lambda;
    private volatile boolean frozen;
    private volatile PidGains gains;
    private volatile CityTotals totals = CityTotals.EMPTY;
    private volatile Map<String, String> pidFields = Map.of();
    private volatile long stateReadAtMillis;
    private volatile String epoch;

    public CityRuntime(CitySetup setup) {
        this.setup = setup;
        this.lambda = setup.config().initialLambda();
        this.gains = setup.config().pid();
    }

    public String city() {
        return setup.config().city();
    }

    public CitySetup setup() {
        return setup;
    }

    public void replace(CitySetup next) {
        this.setup = next;
    }

    public double lambda() {
        return lambda;
    }

    public boolean frozen() {
        return frozen;
    }

    public PidGains gains() {
        return gains;
    }

    public CityTotals totals() {
        return totals;
    }

    /** When lambda and totals were last read from Redis (0: never). */
    public long stateReadAtMillis() {
        return stateReadAtMillis;
    }

    /** The controller's stored state as last read (integral, last error, ticks, ...). */
    public Map<String, String> pidFields() {
        return pidFields;
    }

    public void observe(Map<String, String> pidFields, boolean frozen, PidGains gains, CityTotals totals,
                        long nowMillis) {
        if (pidFields.containsKey("lambda")) {
            this.lambda = Double.parseDouble(pidFields.get("lambda"));
        }
        this.pidFields = Map.copyOf(pidFields);
        this.frozen = frozen;
        this.gains = gains;
        this.totals = totals;
        this.stateReadAtMillis = nowMillis;
    }

    /** The Redis epoch of the city this replica last saw (null: none yet); see {@code RedisKeys.epoch}. */
    public String epoch() {
        return epoch;
    }

    public void observeEpoch(String epoch) {
        this.epoch = epoch;
    }

    public void observeLambda(double lambda) {
        this.lambda = lambda;
    }
}
