package dev.allot.app;

import com.fasterxml.jackson.databind.JsonNode;
import dev.allot.control.redis.EmbeddedRedisExtension;
import dev.allot.control.redis.RedisKeys;
import io.lettuce.core.api.StatefulRedisConnection;
import io.vertx.core.Context;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** A city's day turning at its dayStart, in its time zone, on an injected clock. */
class DayRolloverTest {

    @RegisterExtension
    static final EmbeddedRedisExtension REDIS = new EmbeddedRedisExtension();

    // Day starts at 04:00 in Shanghai (UTC+8): 20:00 UTC. The fixture's clock starts at 06:00 UTC on the 23rd.
    static final String CITY = ServiceFixture.city("""
            { "constraint": { "target": 15.0 }, "explorationShare": 0.0, "holdoutShare": 0.0,
              "pid": { "kp": 0.5, "ki": 0.001, "kd": 0 }, "initialLambda": 0.2 }
            """);

    static ServiceFixture service;

    @BeforeAll
    static void start() throws Exception {
        service = ServiceFixture.start(REDIS, CITY);
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    private static void decideAndTick(int arrivals) throws Exception {
        for (int i = 0; i < arrivals; i++) {
            service.post("/v1/decisions", "{\"city\":\"demo\",\"userId\":\"r-" + System.nanoTime() + "\","
                    + "\"features\":{\"rides_30d\":" + (i % 9) + ",\"avg_fare\":14}}");
        }
        Context context = service.vertx().getOrCreateContext();
        service.service().controller().tick(service.service().decisions().city("demo"), context).toCompletionStage()
                .toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    @Test
    void theDayTurnsAtDayStartWithFreshTotalsTheOfflineLambdaAndAResetIntegral() throws Exception {
        decideAndTick(150);
        JsonNode day1 = service.state("demo").body();
        assertThat(day1.get("day").asText()).isEqualTo("2026-11-23");
        assertThat(day1.get("counts").get("decisions").asLong()).isEqualTo(150);
        assertThat(day1.get("lambda").asDouble()).as("the controller moved lambda").isNotEqualTo(0.2);
        assertThat(day1.get("pid").get("integral").asDouble()).isNotZero();

        ServiceFixture.Response stored = service.admin("PUT", "/v1/admin/cities/demo/lambda0",
                "{\"day\":\"2026-11-24\",\"lambda\":1.25}", ServiceFixture.ADMIN_TOKEN);
        assertThat(stored.status()).as(stored.text()).isEqualTo(200);

        // 03:59 in Shanghai: still the 23rd's business day.
        service.clock.advance(Duration.ofHours(13).plusMinutes(59));
        service.flushAndRefresh();
        assertThat(service.state("demo").body().get("day").asText()).isEqualTo("2026-11-23");

        service.clock.advance(Duration.ofMinutes(2));
        service.flushAndRefresh();
        assertThat(service.service().decisions().city("demo").lambda())
                .as("decisions use the day's offline lambda as soon as the replica sees the new day").isEqualTo(1.25);
        service.service().controller().tick(service.service().decisions().city("demo"),
                service.vertx().getOrCreateContext()).toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
        service.flushAndRefresh();
        JsonNode day2 = service.state("demo").body();
        assertThat(day2.get("day").asText()).isEqualTo("2026-11-24");
        assertThat(day2.get("lambda").asDouble()).isEqualTo(1.25);
        assertThat(day2.get("counts").get("decisions").asLong()).as("fresh totals").isZero();
        assertThat(day2.get("pid").get("integral").asDouble()).as("integral reset").isZero();
        // Nothing is measured yet in the new day: the controller has centred on λ₀ and not stepped.
        assertThat(day2.get("pid").get("ticks").asLong()).isBetween(0L, 2L);
        assertThat(service.post("/v1/decisions", "{\"city\":\"demo\",\"userId\":\"first-of-day\"}").body()
                .get("lambda").asDouble()).isEqualTo(1.25);
        try (StatefulRedisConnection<String, String> c = REDIS.connect()) {
            assertThat(c.sync().hget(RedisKeys.totals("demo", "2026-11-23"), "decisions")).isEqualTo("150");
        }

        // The next day has no offline lambda: it starts from this day's closing lambda. A step is due one interval
        // (an hour here) after the last.
        service.clock.advance(Duration.ofHours(1));
        decideAndTick(150);
        service.flushAndRefresh();
        double closing = service.state("demo").body().get("lambda").asDouble();
        assertThat(closing).isNotEqualTo(1.25);
        service.clock.advance(Duration.ofDays(1));
        service.flushAndRefresh();
        service.service().controller().tick(service.service().decisions().city("demo"),
                service.vertx().getOrCreateContext()).toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
        service.flushAndRefresh();
        JsonNode day3 = service.state("demo").body();
        assertThat(day3.get("day").asText()).isEqualTo("2026-11-25");
        assertThat(day3.get("lambda").asDouble()).isEqualTo(closing);
        assertThat(day3.get("pid").get("integral").asDouble()).isZero();
        assertThat(day3.get("counts").get("decisions").asLong()).isZero();
    }
}
