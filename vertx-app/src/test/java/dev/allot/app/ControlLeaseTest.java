package dev.allot.app;

import dev.allot.control.redis.EmbeddedRedisExtension;
import dev.allot.control.redis.RedisKeys;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Clock;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An interval changed by ops applies now, on the real clock. (One steering replica among three and the takeover
 * when it stops are in {@link ThreeReplicasContract}.)
 */
class ControlLeaseTest {

    @RegisterExtension
    static final EmbeddedRedisExtension REDIS = new EmbeddedRedisExtension();

    static final String CITY = ServiceFixture.city("""
            { "pid": { "kp": 0.02, "intervalSeconds": 1 } }
            """);

    private static long ticks(StatefulRedisConnection<String, String> redis) {
        String ticks = redis.sync().hget(RedisKeys.pid("demo"), "ticks");
        return ticks == null ? 0 : Long.parseLong(ticks);
    }

    @Test
    void anIntervalShortenedByOpsTakesEffectAtOnce() throws Exception {
        String slow = ServiceFixture.city("""
                { "pid": { "kp": 0.02, "intervalSeconds": 600 } }
                """);
        try (ServiceFixture service = ServiceFixture.start(REDIS, slow, s -> s.withClock(Clock.systemUTC()));
             StatefulRedisConnection<String, String> redis = REDIS.connect()) {
            // Some traffic, so the controller has a budget to measure (it does not step on an unmeasured day).
            for (int i = 0; i < 10; i++) {
                service.post("/v1/decisions", "{\"city\":\"demo\",\"userId\":\"slow-" + i + "\"}");
            }
            service.flushAndRefresh();
            Thread.sleep(500);
            long before = ticks(redis);
            assertThat(service.admin("PUT", "/v1/admin/cities/demo/pid", "{\"intervalSeconds\": 1}",
                    ServiceFixture.ADMIN_TOKEN).status()).isEqualTo(200);
            long changed = System.nanoTime();
            while (ticks(redis) == before && System.nanoTime() - changed < 10_000_000_000L) {
                Thread.sleep(50);
            }
            long millis = (System.nanoTime() - changed) / 1_000_000;
            System.out.println("interval 600 s -> 1 s: first tick after " + millis + " ms");
            assertThat(ticks(redis)).isGreaterThan(before);
            assertThat(millis).as("ms until the first tick at the new interval").isLessThan(2_500);
        }
    }
}
