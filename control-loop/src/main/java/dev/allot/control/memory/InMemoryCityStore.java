package dev.allot.control.memory;

import dev.allot.control.CityStateStore;
import dev.allot.control.CityTotals;
import dev.allot.control.DecisionEvent;
import dev.allot.control.DecisionSink;
import dev.allot.control.PidGains;
import dev.allot.control.PidState;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.LongSupplier;

/**
 * A {@link CityStateStore} and {@link DecisionSink} in one process's memory, with the Redis store's semantics:
 * coupon histories kept eight days, claims first-come, outcomes counted once, a controller lock that expires
 * on the injected clock, controller writes only by the lock holder. For the simulator, replays and tests: time
 * is whatever the clock says, so a simulated day runs in seconds. Decision-stream entries are not kept (a
 * simulated week would not fit in memory); the decision index keeps the newest {@code indexCapacity}
 * decisions, as the Redis index keeps them for a while.
 *
 * <p>Thread-safe by a single lock: meant for one simulated city per instance, not for contention.
 */
public final class InMemoryCityStore implements CityStateStore, DecisionSink {

    private static final long HISTORY_MILLIS = 8L * 86_400_000;

    private record Lock(String owner, long expiresAt) {
    }

    /** An indexed decision and whether its outcome has been counted. */
    private static final class Indexed {
        final Map<String, String> fields;
        String outcome;

        Indexed(Map<String, String> fields) {
            this.fields = fields;
        }
    }

    /** Everything kept for one city. */
    private final class City {
        // Sums in one-element arrays: a simulated week adds to them tens of millions of times, unboxed.
        final Map<String, Map<String, double[]>> totals = new HashMap<>();
        final Map<String, Deque<Long>> histories = new HashMap<>();
        final Map<String, String> claims = new HashMap<>();
        final Map<String, Double> lambda0s = new HashMap<>();
        final Map<String, String> pid = new HashMap<>();
        final Map<String, Indexed> index = new LinkedHashMap<>(1024, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Indexed> eldest) {
                return size() > indexCapacity;
            }
        };
        Double lambda;
        Lock lock;
    }

    private final LongSupplier clock;
    private final int indexCapacity;
    private final Map<String, City> cities = new HashMap<>();

    /**
     * @param clock         epoch milliseconds: lock expiry is measured on it
     * @param indexCapacity how many of the newest decisions outcomes can still be matched against
     */
    public InMemoryCityStore(LongSupplier clock, int indexCapacity) {
        this.clock = clock;
        this.indexCapacity = indexCapacity;
    }

    private static <T> CompletionStage<T> done(T value) {
        return CompletableFuture.completedFuture(value);
    }

    private City city(String name) {
        return cities.computeIfAbsent(name, n -> new City());
    }

    @Override
    public synchronized void append(DecisionEvent e) {
        City c = city(e.city());
        Map<String, double[]> day = c.totals.computeIfAbsent(e.day(), k -> new HashMap<>());
        e.totals().forEach((field, delta) -> day.computeIfAbsent(field, f -> new double[1])[0] += delta);
        c.index.put(e.decisionId(), new Indexed(Map.copyOf(e.record())));
        if (e.couponGiven()) {
            Deque<Long> history = c.histories.computeIfAbsent(e.userId(), k -> new ArrayDeque<>());
            history.addLast(e.timestampMillis());
            while (!history.isEmpty() && history.peekFirst() < e.timestampMillis() - HISTORY_MILLIS) {
                history.removeFirst();
            }
        }
    }

    @Override
    public synchronized CompletionStage<Preparation> prepare(String city, String requestId, String userId,
                                                             long sinceMillis) {
        City c = city(city);
        Optional<String> stored = requestId == null ? Optional.empty() : Optional.ofNullable(c.claims.get(requestId));
        long count = 0;
        Deque<Long> history = c.histories.get(userId);
        if (history != null) {
            for (long ts : history) {
                count += ts >= sinceMillis ? 1 : 0;
            }
        }
        return done(new Preparation(stored, count));
    }

    @Override
    public synchronized CompletionStage<Optional<String>> claim(String city, String requestId, String response) {
        return done(Optional.ofNullable(city(city).claims.putIfAbsent(requestId, response)));
    }

    @Override
    public synchronized CompletionStage<CityTotals> totals(String city, String day) {
        Map<String, Double> snapshot = new HashMap<>();
        city(city).totals.getOrDefault(day, Map.of()).forEach((field, sum) -> snapshot.put(field, sum[0]));
        return done(new CityTotals(snapshot));
    }

    @Override
    public synchronized CompletionStage<Optional<Double>> lambda(String city) {
        return done(Optional.ofNullable(city(city).lambda));
    }

    @Override
    public synchronized CompletionStage<?> setLambda(String city, double lambda) {
        city(city).lambda = lambda;
        return done(null);
    }

    @Override
    public synchronized CompletionStage<Optional<Double>> lambda0(String city, String day) {
        return done(Optional.ofNullable(city(city).lambda0s.get(day)));
    }

    @Override
    public synchronized CompletionStage<?> setLambda0(String city, String day, double lambda) {
        city(city).lambda0s.put(day, lambda);
        return done(null);
    }

    @Override
    public synchronized CompletionStage<Map<String, String>> pidFields(String city) {
        return done(Map.copyOf(city(city).pid));
    }

    @Override
    public synchronized CompletionStage<?> setPidFields(String city, Map<String, String> fields) {
        city(city).pid.putAll(fields);
        return done(null);
    }

    @Override
    public synchronized CompletionStage<Map<String, String>> decisionRecord(String city, String decisionId) {
        Indexed r = city(city).index.get(decisionId);
        if (r == null) {
            return done(Map.of());
        }
        Map<String, String> fields = new HashMap<>(r.fields);
        if (r.outcome != null) {
            fields.put("outcome", r.outcome);
        }
        return done(fields);
    }

    @Override
    public synchronized CompletionStage<OutcomeResult> recordOutcome(String city, String decisionId, String day,
                                                                     boolean converted, double revenue,
                                                                     double coupon, long timestampMillis) {
        City c = city(city);
        Indexed r = c.index.get(decisionId);
        if (r == null) {
            return done(OutcomeResult.UNKNOWN_DECISION);
        }
        if (r.outcome != null) {
            return done(OutcomeResult.DUPLICATE);
        }
        r.outcome = converted ? "1" : "0";
        Map<String, double[]> t = c.totals.computeIfAbsent(day, k -> new HashMap<>());
        t.computeIfAbsent(CityTotals.OUTCOMES, f -> new double[1])[0] += 1;
        if (converted) {
            t.computeIfAbsent(CityTotals.PURCHASES, f -> new double[1])[0] += 1;
            t.computeIfAbsent(CityTotals.REALIZED_REVENUE, f -> new double[1])[0] += revenue;
            t.computeIfAbsent(CityTotals.REALIZED_SPEND, f -> new double[1])[0] += coupon;
        }
        return done(OutcomeResult.COUNTED);
    }

    @Override
    public synchronized CompletionStage<Boolean> lock(String city, String owner, long ttlMillis) {
        long now = clock.getAsLong();
        City c = city(city);
        if (c.lock == null || c.lock.expiresAt() <= now || c.lock.owner().equals(owner)) {
            c.lock = new Lock(owner, now + ttlMillis);
            return done(true);
        }
        return done(false);
    }

    @Override
    public synchronized CompletionStage<Boolean> unlock(String city, String owner) {
        City c = city(city);
        if (c.lock != null && c.lock.owner().equals(owner)) {
            c.lock = null;
            return done(true);
        }
        return done(false);
    }

    @Override
    public synchronized CompletionStage<Boolean> writePid(String city, String owner, String day, PidState state,
                                                       PidGains gains, long nowMillis) {
        City c = city(city);
        if (c.lock == null || !c.lock.owner().equals(owner) || c.lock.expiresAt() <= clock.getAsLong()) {
            return done(false);
        }
        c.lambda = state.lambda();
        c.pid.putAll(state.fields(day, nowMillis, gains));
        return done(true);
    }
}
