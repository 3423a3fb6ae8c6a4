package dev.allot.control.redis;

import dev.allot.control.CityStateStore;
import dev.allot.control.CityStateStoreContract;
import dev.allot.control.DecisionEvent;
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
        assertThat(connection.sync().hgetall(RedisKeys.decision("c", "d1"))).containsEntry("outcome", "1");
    }
}
