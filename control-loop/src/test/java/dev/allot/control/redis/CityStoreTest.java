package dev.allot.control.redis;

import dev.allot.control.BudgetConstraint;
import dev.allot.control.PidGains;
import dev.allot.control.PidState;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class CityStoreTest {

    @RegisterExtension
    static final EmbeddedRedisExtension REDIS = new EmbeddedRedisExtension();

    private StatefulRedisConnection<String, String> connection;
    private CityStore store;

    @BeforeEach
    void setUp() {
        REDIS.flushAll();
        connection = REDIS.connect();
        store = new CityStore(connection);
    }

    @AfterEach
    void tearDown() {
        connection.close();
    }

    @Test
    void theFirstClaimOfARequestIdWinsAndLaterOnesGetItsResponse() throws Exception {
        assertThat(store.claim("c", "req-1", "first").toCompletableFuture().get()).isEmpty();
        assertThat(store.claim("c", "req-1", "second").toCompletableFuture().get()).contains("first");
        CityStore.Preparation p = store.prepare("c", "req-1", "u", 0).toCompletableFuture().get();
        assertThat(p.storedResponse()).contains("first");
        assertThat(store.prepare("c", null, "u", 0).toCompletableFuture().get().storedResponse()).isEmpty();
    }

    @Test
    void countsAUsersCouponsInsideTheWindowOnly() throws Exception {
        connection.sync().zadd(RedisKeys.couponHistory("c", "u"), 1_000, "old");
        connection.sync().zadd(RedisKeys.couponHistory("c", "u"), 5_000, "recent");
        connection.sync().zadd(RedisKeys.couponHistory("c", "u"), 6_000, "newest");
        assertThat(store.prepare("c", null, "u", 2_000).toCompletableFuture().get().couponsInWindow()).isEqualTo(2);
    }

    @Test
    void anOutcomeCountsOnceAndAnUnknownDecisionIsReported() throws Exception {
        connection.sync().hset(RedisKeys.decision("c", "d1"), Map.of("day", "2026-11-23", "coupon", "2.0"));
        assertThat(store.recordOutcome("c", "d1", "2026-11-23", true, 12, 2, 1).toCompletableFuture().get())
                .isEqualTo(CityStore.OutcomeResult.COUNTED);
        assertThat(store.recordOutcome("c", "d1", "2026-11-23", true, 12, 2, 2).toCompletableFuture().get())
                .isEqualTo(CityStore.OutcomeResult.DUPLICATE);
        assertThat(store.recordOutcome("c", "nope", "2026-11-23", true, 12, 2, 3).toCompletableFuture().get())
                .isEqualTo(CityStore.OutcomeResult.UNKNOWN_DECISION);
        var totals = store.totals("c", "2026-11-23").toCompletableFuture().get();
        assertThat(totals.get("purchases")).isEqualTo(1.0);
        assertThat(totals.realizedAveragePrice()).isEqualTo(12.0);
        assertThat(connection.sync().xlen(RedisKeys.outcomes("c"))).isEqualTo(1);
    }

    @Test
    void onlyTheReplicaHoldingTheLockTicksACity() throws Exception {
        PidGains gains = new PidGains(0.1, 0, 0, 10, 0, 5);
        var constraint = new BudgetConstraint.AveragePriceFloor(14);
        connection.sync().hset(RedisKeys.totals("c", "d"), Map.of("conversions", "1", "revenue", "12"));
        PidTicker a = new PidTicker(store, "replica-a");
        PidTicker b = new PidTicker(store, "replica-b");
        PidTicker.Tick first = a.tick("c", "d", constraint, gains, 1.0, false, 0).toCompletableFuture().get();
        PidTicker.Tick blocked = b.tick("c", "d", constraint, gains, 1.0, false, 0).toCompletableFuture().get();
        assertThat(first.state()).isPresent();
        assertThat(first.error()).isEqualTo(2.0);
        assertThat(first.state().get().lambda()).isEqualTo(1.2);
        assertThat(blocked.state()).isEmpty();
        assertThat(store.lambda("c").toCompletableFuture().get()).contains(1.2);

        // The holder dies: once its lock expires, the other replica takes over from the stored state.
        connection.sync().del(RedisKeys.pidLock("c"));
        PidTicker.Tick takeover = b.tick("c", "d", constraint, gains, 1.0, false, 0).toCompletableFuture().get();
        assertThat(takeover.state().map(PidState::lambda)).isEqualTo(Optional.of(1.4));
        assertThat(takeover.state().get().ticks()).isEqualTo(2);
    }

    @Test
    void aFrozenCityKeepsItsLambda() throws Exception {
        store.setPidFields("c", Map.of("lambda", "0.7", "frozen", "1")).toCompletableFuture().get();
        PidTicker.Tick tick = new PidTicker(store, "r").tick("c", "d", new BudgetConstraint.AveragePriceFloor(14),
                new PidGains(1, 0, 0, 10, 0, 5), 1.0, false, 0).toCompletableFuture().get();
        assertThat(tick.state()).isEmpty();
    }
}
