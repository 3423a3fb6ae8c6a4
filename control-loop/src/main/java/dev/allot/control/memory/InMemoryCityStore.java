package dev.allot.control.memory;

import dev.allot.control.CityStateStore;
import dev.allot.control.CityTotals;
import dev.allot.control.DecisionEvent;
import dev.allot.control.DecisionSink;
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

    private final LongSupplier clock;
    private final Map<String, Map<String, Double>> totals = new HashMap<>();
    private final Map<String, Deque<Long>> histories = new HashMap<>();
    private final Map<String, String> claims = new HashMap<>();
    private final Map<String, Double> lambdas = new HashMap<>();
    private final Map<String, Double> lambda0s = new HashMap<>();
    private final Map<String, Map<String, String>> pid = new HashMap<>();
    private final Map<String, Lock> locks = new HashMap<>();
    private final Map<String, Map<String, String>> index;

    /**
     * @param clock         epoch milliseconds: lock expiry is measured on it
     * @param indexCapacity how many of the newest decisions outcomes can still be matched against
     */
    public InMemoryCityStore(LongSupplier clock, int indexCapacity) {
        this.clock = clock;
        this.index = new LinkedHashMap<>(1024, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Map<String, String>> eldest) {
                return size() > indexCapacity;
            }
        };
    }

    private static <T> CompletionStage<T> done(T value) {
        return CompletableFuture.completedFuture(value);
    }

    private static String key(String city, String id) {
        return city + '\u0000' + id;
    }

    @Override
    public synchronized void append(DecisionEvent e) {
        Map<String, Double> day = totals.computeIfAbsent(key(e.city(), e.day()), k -> new HashMap<>());
        e.totals().forEach((field, delta) -> day.merge(field, delta, Double::sum));
        index.put(key(e.city(), e.decisionId()), new HashMap<>(e.record()));
        if (e.couponGiven()) {
            Deque<Long> history = histories.computeIfAbsent(key(e.city(), e.userId()), k -> new ArrayDeque<>());
            history.addLast(e.timestampMillis());
            while (!history.isEmpty() && history.peekFirst() < e.timestampMillis() - HISTORY_MILLIS) {
                history.removeFirst();
            }
        }
    }

    @Override
    public synchronized CompletionStage<Preparation> prepare(String city, String requestId, String userId,
                                                             long sinceMillis) {
        Optional<String> stored = requestId == null ? Optional.empty()
                : Optional.ofNullable(claims.get(key(city, requestId)));
        long count = 0;
        Deque<Long> history = histories.get(key(city, userId));
        if (history != null) {
            for (long ts : history) {
                count += ts >= sinceMillis ? 1 : 0;
            }
        }
        return done(new Preparation(stored, count));
    }

    @Override
    public synchronized CompletionStage<Optional<String>> claim(String city, String requestId, String response) {
        return done(Optional.ofNullable(claims.putIfAbsent(key(city, requestId), response)));
    }

    @Override
    public synchronized CompletionStage<CityTotals> totals(String city, String day) {
        return done(new CityTotals(totals.getOrDefault(key(city, day), Map.of())));
    }

    @Override
    public synchronized CompletionStage<Optional<Double>> lambda(String city) {
        return done(Optional.ofNullable(lambdas.get(city)));
    }

    @Override
    public synchronized CompletionStage<?> setLambda(String city, double lambda) {
        lambdas.put(city, lambda);
        return done(null);
    }

    @Override
    public synchronized CompletionStage<Optional<Double>> lambda0(String city, String day) {
        return done(Optional.ofNullable(lambda0s.get(key(city, day))));
    }

    @Override
    public synchronized CompletionStage<?> setLambda0(String city, String day, double lambda) {
        lambda0s.put(key(city, day), lambda);
        return done(null);
    }

    @Override
    public synchronized CompletionStage<Map<String, String>> pidFields(String city) {
        return done(Map.copyOf(pid.getOrDefault(city, Map.of())));
    }

    @Override
    public synchronized CompletionStage<?> setPidFields(String city, Map<String, String> fields) {
        pid.computeIfAbsent(city, c -> new HashMap<>()).putAll(fields);
        return done(null);
    }

    @Override
    public synchronized CompletionStage<Map<String, String>> decisionRecord(String city, String decisionId) {
        Map<String, String> r = index.get(key(city, decisionId));
        return done(r == null ? Map.of() : Map.copyOf(r));
    }

    @Override
    public synchronized CompletionStage<OutcomeResult> recordOutcome(String city, String decisionId, String day,
                                                                     boolean converted, double revenue,
                                                                     double coupon, long timestampMillis) {
        Map<String, String> r = index.get(key(city, decisionId));
        if (r == null) {
            return done(OutcomeResult.UNKNOWN_DECISION);
        }
        if (r.putIfAbsent("outcome", converted ? "1" : "0") != null) {
            return done(OutcomeResult.DUPLICATE);
        }
        Map<String, Double> t = totals.computeIfAbsent(key(city, day), k -> new HashMap<>());
        t.merge(CityTotals.OUTCOMES, 1.0, Double::sum);
        if (converted) {
            t.merge(CityTotals.PURCHASES, 1.0, Double::sum);
            t.merge(CityTotals.REALIZED_REVENUE, revenue, Double::sum);
            t.merge(CityTotals.REALIZED_SPEND, coupon, Double::sum);
        }
        return done(OutcomeResult.COUNTED);
    }

    @Override
    public synchronized CompletionStage<Boolean> lock(String city, String owner, long ttlMillis) {
        long now = clock.getAsLong();
        Lock held = locks.get(city);
        if (held == null || held.expiresAt() <= now || held.owner().equals(owner)) {
            locks.put(city, new Lock(owner, now + ttlMillis));
            return done(true);
        }
        return done(false);
    }

    @Override
    public synchronized CompletionStage<Boolean> writePid(String city, String owner, String day, PidState state,
                                                          long nowMillis) {
        Lock held = locks.get(city);
        if (held == null || !held.owner().equals(owner) || held.expiresAt() <= clock.getAsLong()) {
            return done(false);
        }
        lambdas.put(city, state.lambda());
        pid.computeIfAbsent(city, c -> new HashMap<>()).putAll(Map.of(
                "lambda", Double.toString(state.lambda()),
                "integral", Double.toString(state.integral()),
                "lastError", Double.toString(state.lastError()),
                "ticks", Long.toString(state.ticks()),
                "day", day,
                "updatedAt", Long.toString(nowMillis)));
        return done(true);
    }
}
