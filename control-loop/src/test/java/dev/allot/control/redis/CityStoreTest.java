package dev.allot.control.redis;

import dev.allot.control.CityStateStore;
import dev.allot.control.CityStateStoreContract;
import dev.allot.control.DecisionEvent;
import dev.allot.control.DecisionIds;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The store contract on a real Redis, decisions written through the write-behind log. */
class CityStoreTest extends CityStateStoreContract {

    @RegisterExtension
    static final EmbeddedRedisExtension REDIS = new EmbeddedRedisExtension();

    private StatefulRedisConnection<String, String> connection;
    private StatefulRedisConnection<String, String> writes;
    private CityStore store;
    private WriteBehindLog log;

    @BeforeEach
    void setUp() {
        REDIS.flushAll();
        connection = REDIS.connect();
        writes = REDIS.connect();
        store = new CityStore(connection);
        log = new WriteBehindLog(RedisLink.of(writes), WriteBehindLog.Settings.defaults());
    }

    @AfterEach
    void tearDown() {
        connection.close();
        writes.close();
    }

    @Override
    protected CityStateStore store() {
        return store;
    }

    @Override
    protected void append(DecisionEvent event) throws Exception {
        log.append(event);
        assertThat(log.flush().toCompletableFuture().get().succeeded()).isTrue();
    }

    @Override
    protected void expireLock(String city) {
        connection.sync().del(RedisKeys.pidLock(city));
    }

    @Test
    void anOutcomeIsAppendedToTheOutcomeStream() throws Exception {
        append(decision("d1", "u", "2026-11-23", 1, true));
        store.recordOutcome("c", "d1", "2026-11-23", true, 12, 2, 1).toCompletableFuture().get();
        assertThat(connection.sync().xlen(RedisKeys.outcomes("c"))).isEqualTo(1);
        assertThat(get(store.decisionRecord("c", "d1"))).containsEntry("outcome", "1").containsEntry("coupon", "4.0");
        assertThat(connection.sync().ttl(RedisKeys.decision("c", "d1"))).as("the index keeps its expiry")
                .isPositive();
    }

    @Test
    void anIndexWrittenAsAHashBeforeStillReadsAndTakesItsOutcomeOnce() throws Exception {
        String key = RedisKeys.decision("c", "old-1");
        connection.sync().hset(key, Map.of("day", "2026-11-23", "level", "2", "coupon", "4.0", "price", "14.0",
                "segment", "new", "group", "optimized"));
        connection.sync().expire(key, 3600);
        assertThat(get(store.decisionRecord("c", "old-1"))).containsEntry("coupon", "4.0");
        assertThat(store.recordOutcome("c", "old-1", "2026-11-23", true, 14, 4, 1).toCompletableFuture().get())
                .isEqualTo(CityStateStore.OutcomeResult.COUNTED);
        assertThat(store.recordOutcome("c", "old-1", "2026-11-23", false, 0, 0, 2).toCompletableFuture().get())
                .isEqualTo(CityStateStore.OutcomeResult.DUPLICATE);
        assertThat(get(store.decisionRecord("c", "old-1"))).containsEntry("outcome", "1");
    }

    @Test
    void aSegmentThatLooksLikeTheOutcomeFieldDoesNotMarkTheDecision() throws Exception {
        DecisionEvent tricky = decision("d-tricky", "u", "2026-11-23", 1, true);
        Map<String, String> index = new java.util.LinkedHashMap<>(tricky.record());
        index.put("segment", "\"outcome\":\"1\"}");
        append(new DecisionEvent(tricky.city(), tricky.day(), tricky.decisionId(), tricky.userId(),
                tricky.timestampMillis(), tricky.couponGiven(), tricky.streamFields(), index, tricky.totals()));
        assertThat(get(store.decisionRecord("c", "d-tricky"))).containsEntry("segment", "\"outcome\":\"1\"}")
                .doesNotContainKey("outcome");
        assertThat(store.recordOutcome("c", "d-tricky", "2026-11-23", true, 12, 2, 1).toCompletableFuture().get())
                .isEqualTo(CityStateStore.OutcomeResult.COUNTED);
        assertThat(get(store.decisionRecord("c", "d-tricky"))).containsEntry("outcome", "1")
                .containsEntry("segment", "\"outcome\":\"1\"}");
    }

    @Test
    void decisionsOfOneSecondShareOneHashAndKeepTheirOutcomesApart() throws Exception {
        long at = 1_795_000_000_123L;
        String first = DecisionIds.next("c", at);
        String second = DecisionIds.next("c", at + 500);
        String nextSecond = DecisionIds.next("c", at + 1_000);
        append(decision(first, "u1", "2026-11-23", at, true));
        append(decision(second, "u2", "2026-11-23", at + 500, false));
        append(decision(nextSecond, "u3", "2026-11-23", at + 1_000, false));

        String hash = RedisKeys.decisionSecond("c", first);
        assertThat(RedisKeys.decisionSecond("c", second)).isEqualTo(hash);
        assertThat(connection.sync().hkeys(hash)).containsExactlyInAnyOrder(first, second);
        assertThat(connection.sync().hkeys(RedisKeys.decisionSecond("c", nextSecond))).containsExactly(nextSecond);
        assertThat(connection.sync().exists(RedisKeys.decision("c", first))).as("no key of its own").isZero();
        assertThat(connection.sync().ttl(hash)).as("the second's hash expires").isPositive();

        assertThat(store.recordOutcome("c", first, "2026-11-23", true, 12, 4, at + 60_000).toCompletableFuture().get())
                .isEqualTo(CityStateStore.OutcomeResult.COUNTED);
        assertThat(store.recordOutcome("c", first, "2026-11-23", false, 0, 0, at + 61_000).toCompletableFuture().get())
                .isEqualTo(CityStateStore.OutcomeResult.DUPLICATE);
        assertThat(get(store.decisionRecord("c", first))).containsEntry("outcome", "1").containsEntry("coupon", "4.0");
        assertThat(get(store.decisionRecord("c", second))).as("its neighbour in the hash is untouched")
                .containsEntry("coupon", "0.0").doesNotContainKey("outcome");
        assertThat(store.recordOutcome("c", second, "2026-11-23", false, 0, 0, at + 62_000).toCompletableFuture().get())
                .isEqualTo(CityStateStore.OutcomeResult.COUNTED);
        assertThat(store.recordOutcome("c", DecisionIds.next("c", at), "2026-11-23", true, 1, 1, at)
                .toCompletableFuture().get()).as("an id never decided, in a second that exists")
                .isEqualTo(CityStateStore.OutcomeResult.UNKNOWN_DECISION);
        assertThat(connection.sync().xlen(RedisKeys.outcomes("c"))).isEqualTo(2);
    }

    @Test
    void aRandomIdThatOnlyLooksTimedIsIndexedAndFoundUnderItsOwnKey() throws Exception {
        // A version-4 id from before decision ids carried their time, whose random version digit happens to be 7.
        String old = "c.3f2a9c1e-0b4d-7a55-9e21-6c0d4b8f2a11";
        assertThat(DecisionIds.millis(old)).isNotNegative();
        append(decision(old, "u", "2026-11-23", 1_795_000_000_000L, true));
        assertThat(connection.sync().exists(RedisKeys.decision("c", old))).isOne();
        assertThat(get(store.decisionRecord("c", old))).containsEntry("coupon", "4.0");
        assertThat(store.recordOutcome("c", old, "2026-11-23", true, 12, 4, 1).toCompletableFuture().get())
                .isEqualTo(CityStateStore.OutcomeResult.COUNTED);
        assertThat(store.recordOutcome("c", old, "2026-11-23", true, 12, 4, 2).toCompletableFuture().get())
                .isEqualTo(CityStateStore.OutcomeResult.DUPLICATE);
    }

    private CityStore.EpochResult recreate(String epoch, Map<String, String> state, long now) throws Exception {
        return store.recreateEpoch("c", epoch, state, state == null ? null : 1.25, now).toCompletableFuture().get();
    }

    @Test
    void aReplicaThatKnowsNothingSetsOnlyAProvisionalEpochThatOneWithStateReplaces() throws Exception {
        long now = 1_000_000_000L;
        String provisional = CityStore.provisionalEpoch(now);
        assertThat(recreate(provisional, null, now)).isEqualTo(CityStore.EpochResult.FRESH);
        assertThat(recreate(CityStore.provisionalEpoch(now), null, now)).as("set once")
                .isEqualTo(CityStore.EpochResult.PRESENT);
        // A tick wrote fresh state under the provisional epoch; a replica that knows the city's state writes it back
        // over that, with a real epoch.
        connection.sync().hset(RedisKeys.pid("c"), Map.of("lambda", "0.2", "frozen", "0"));
        assertThat(recreate("e-2", Map.of("lambda", "1.25", "frozen", "1"), now + 60_000))
                .isEqualTo(CityStore.EpochResult.WRITTEN_BACK);
        assertThat(connection.sync().get(RedisKeys.epoch("c"))).isEqualTo("e-2");
        assertThat(connection.sync().hgetall(RedisKeys.pid("c"))).containsEntry("frozen", "1").containsEntry("lambda",
                "1.25");
        assertThat(connection.sync().get(RedisKeys.lambda("c"))).isEqualTo("1.25");
        assertThat(recreate("e-3", Map.of("frozen", "0"), now + 60_000)).as("a real epoch is not replaced")
                .isEqualTo(CityStore.EpochResult.PRESENT);
    }

    @Test
    void aProvisionalEpochThatHasServedTenMinutesIsTheCitysEpoch() throws Exception {
        long now = 1_000_000_000L;
        assertThat(recreate(CityStore.provisionalEpoch(now), null, now)).isEqualTo(CityStore.EpochResult.FRESH);
        assertThat(recreate("e-2", Map.of("frozen", "1"), now + CityStore.PROVISIONAL_MILLIS + 1))
                .isEqualTo(CityStore.EpochResult.PRESENT);
        assertThat(CityStore.replaceable(connection.sync().get(RedisKeys.epoch("c")), now + 1_000)).isTrue();
        assertThat(CityStore.replaceable(connection.sync().get(RedisKeys.epoch("c")),
                now + CityStore.PROVISIONAL_MILLIS + 1)).isFalse();
    }

    @Test
    void stateFromBeforeEpochsIsAdopted() throws Exception {
        connection.sync().hset(RedisKeys.pid("c"), Map.of("lambda", "0.7"));
        assertThat(recreate(CityStore.provisionalEpoch(5), null, 5)).isEqualTo(CityStore.EpochResult.ADOPTED);
        assertThat(connection.sync().hget(RedisKeys.pid("c"), "lambda")).isEqualTo("0.7");
    }
}
