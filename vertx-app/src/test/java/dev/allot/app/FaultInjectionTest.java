package dev.allot.app;

import dev.allot.control.redis.CityStore;
import com.fasterxml.jackson.databind.JsonNode;
import dev.allot.control.redis.EmbeddedRedisExtension;
import dev.allot.control.redis.RedisKeys;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The faults an SRE would try, with real redis-server processes and, where a signal or a restart is the fault,
 * the service as a process of its own. Every case ends with the same count: the decisions answered 200 equal the
 * day's {@code decisions} total and the stream's entries. Figures are printed for docs/reliability.md.
 */
class FaultInjectionTest {

    @TempDir
    Path root;

    /** Decisions from four client threads at once; returns how many were answered 200 (the rest fail the test). */
    private static int load(int count, String prefix, Poster poster) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        AtomicInteger answered = new AtomicInteger();
        try {
            List<Future<?>> sent = new java.util.ArrayList<>();
            for (int i = 0; i < count; i++) {
                String body = "{\"city\":\"demo\",\"userId\":\"" + prefix + "-" + i
                        + "\",\"features\":{\"rides_30d\":" + (i % 9) + "}}";
                sent.add(pool.submit(() -> {
                    int status = poster.post(body);
                    assertThat(status).isEqualTo(200);
                    answered.incrementAndGet();
                    return null;
                }));
            }
            for (Future<?> f : sent) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        return answered.get();
    }

    @FunctionalInterface
    interface Poster {
        int post(String body) throws Exception;
    }

    private static long streamLength(EmbeddedRedisExtension redis) throws Exception {
        try (StatefulRedisConnection<String, String> c = redis.connect()) {
            return StreamedDecisions.count(new CityStore(c), "demo");
        }
    }

    /** Polls the process's state until nothing waits for Redis and the totals stop moving; returns the state. */
    private static JsonNode settled(ServiceProcess service) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
        JsonNode state;
        long last = -1;
        while (true) {
            state = service.json("/v1/cities/demo/state");
            long decisions = state.path("counts").path("decisions").asLong(-2);
            if (!state.path("degraded").asBoolean(true) && state.path("pendingWrites").asLong(1) == 0
                    && !state.path("restoring").asBoolean(true) && decisions == last) {
                return state;
            }
            last = decisions;
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not settled in 40 s: " + state + "\n" + service.output());
            }
            Thread.sleep(600);
        }
    }

    /** The count every case ends with: answered = the day's decisions total = stream entries; printed for the docs. */
    private static void assertCountedOnce(String label, int answered, ServiceProcess service,
                                          EmbeddedRedisExtension redis) throws Exception {
        long decisions = settled(service).path("counts").path("decisions").asLong();
        long stream = streamLength(redis);
        System.out.println(label + ": answered " + answered + ", decisions " + decisions + ", stream " + stream);
        assertThat(decisions).isEqualTo(answered);
        assertThat(stream).isEqualTo(answered);
    }

    @Test
    void sigtermWhileRedisIsDownThenARestartWithRedisBackEmptyCountsEveryDecisionOnce() throws Exception {
        ServiceFixture.writeCities(root, List.of(ServiceFixture.BASE_CITY));
        ServiceFixture.copyShippedRules(root);
        Path data = root.resolve("data");
        try (EmbeddedRedisExtension redis = new EmbeddedRedisExtension().open()) {
            int answered;
            String firstOutput;
            try (ServiceProcess first = ServiceProcess.start(root, redis.url(), data)) {
                answered = load(100, "before", b -> first.post("/v1/decisions", b).statusCode());
                assertThat(settled(first).path("counts").path("decisions").asLong()).isEqualTo(100);
                redis.stop();
                answered += load(100, "down", b -> first.post("/v1/decisions", b).statusCode());
                JsonNode ready = first.json("/health/ready");
                assertThat(ready.path("status").asText()).isEqualTo("degraded");
                first.terminate();
                firstOutput = first.output();
            }
            assertThat(firstOutput).containsPattern("Stopped with 100 decisions and 0 outcomes not confirmed by Redis");
            assertThat(Files.list(data.resolve("journal")).anyMatch(p -> p.toString().endsWith(".log"))).isTrue();

            // Redis restarts empty (no persistence): the 100 it had are gone from it, the 100 it never got wait in
            // the journal. The replacement replica, on the same volume, restores the first and sends the second.
            redis.start();
            try (ServiceProcess second = ServiceProcess.start(root, redis.url(), data)) {
                assertCountedOnce("SIGTERM while Redis down, restart with Redis empty", answered, second, redis);
                assertThat(second.output()).contains("Journal").contains("Redis lost the data of demo");
                assertThat(second.get("/metrics").body()).contains("allot_redis_data_loss_total{city=\"demo\"} 1.0");
            }
        }
    }

    @Test
    void startsWhileRedisIsDownAndCatchesUpWhenItAppears() throws Exception {
        ServiceFixture.writeCities(root, List.of(ServiceFixture.BASE_CITY));
        ServiceFixture.copyShippedRules(root);
        int port = EmbeddedRedisExtension.freePort();
        try (EmbeddedRedisExtension redis = new EmbeddedRedisExtension().onPortNotStarted(port);
             ServiceProcess service = ServiceProcess.start(root, "redis://127.0.0.1:" + port, root.resolve("data"))) {
            var ready = service.get("/health/ready");
            assertThat(ready.statusCode()).as("a replica without Redis still serves").isEqualTo(200);
            JsonNode body = dev.allot.engine.Json.MAPPER.readTree(ready.body());
            assertThat(body.path("status").asText()).isEqualTo("degraded");
            assertThat(body.path("redis").path("status").asText()).isEqualTo("never reached");
            JsonNode state = service.json("/v1/cities/demo/state");
            assertThat(state.path("degraded").asBoolean()).isTrue();
            assertThat(state.path("lambda").asDouble()).as("the city's configured λ₀").isEqualTo(0.5);

            int answered = load(60, "dark", b -> service.post("/v1/decisions", b).statusCode());
            redis.start();
            assertCountedOnce("started while Redis down", answered, service, redis);
            assertThat(service.json("/health/ready").path("redis").path("status").asText()).isEqualTo("up");
        }
    }

    @Test
    void aKillNineWhileRedisIsDownLosesNothingJournaledBeforeIt() throws Exception {
        ServiceFixture.writeCities(root, List.of(ServiceFixture.BASE_CITY));
        ServiceFixture.copyShippedRules(root);
        Path data = root.resolve("data");
        try (EmbeddedRedisExtension redis = new EmbeddedRedisExtension().open()) {
            int answered;
            try (ServiceProcess first = ServiceProcess.start(root, redis.url(), data)) {
                answered = load(50, "up", b -> first.post("/v1/decisions", b).statusCode());
                settled(first);
                redis.stop();
                answered += load(80, "down", b -> first.post("/v1/decisions", b).statusCode());
                // The journal takes what was answered at the next flush (every 20 ms); a kill after it loses nothing.
                Thread.sleep(200);
                first.kill();
            }
            redis.start();
            try (ServiceProcess second = ServiceProcess.start(root, redis.url(), data)) {
                assertCountedOnce("kill -9 while Redis down, restart with Redis empty", answered, second, redis);
            }
        }
    }

    @Test
    void redisRestartedEmptyUnderAServingReplicaGetsItsStateAndTotalsBack() throws Exception {
        try (EmbeddedRedisExtension redis = new EmbeddedRedisExtension().open();
             ServiceFixture service = ServiceFixture.start(redis, ServiceFixture.BASE_CITY, UnaryOperator.identity())) {
            int answered = load(120, "before", b -> service.post("/v1/decisions", b).status());
            service.flushAndRefresh();
            ServiceFixture.Response frozen = service.admin("PUT", "/v1/admin/cities/demo/lambda",
                    "{\"lambda\": 1.25, \"freeze\": true}", ServiceFixture.ADMIN_TOKEN);
            assertThat(frozen.status()).as(frozen.text()).isEqualTo(200);
            service.flushAndRefresh();

            redis.stop();
            answered += load(40, "down", b -> service.post("/v1/decisions", b).status());
            redis.start();
            service.drainAfterOutage();
            // The restore runs beside the flushes: wait for it (the state says so) before counting.
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (service.state("demo").body().path("restoring").asBoolean() || service.state("demo").body()
                    .path("counts").path("decisions").asLong() < answered) {
                assertThat(System.nanoTime()).as("restored within 30 s").isLessThan(deadline);
                Thread.sleep(100);
            }
            service.flushAndRefresh();

            var demo = service.service().decisions().city("demo");
            System.out.println("Redis restarted empty under a serving replica: answered " + answered + ", decisions "
                    + demo.totals().decisions() + ", stream " + streamLength(redis) + ", λ " + demo.lambda()
                    + " frozen " + demo.frozen());
            assertThat(demo.totals().decisions()).isEqualTo(answered);
            assertThat(streamLength(redis)).isEqualTo(answered);
            assertThat(demo.frozen()).as("the freeze is written back").isTrue();
            assertThat(demo.lambda()).as("the override is written back").isEqualTo(1.25);
            try (StatefulRedisConnection<String, String> c = redis.connect()) {
                assertThat(c.sync().hget(RedisKeys.pid("demo"), "frozen")).isEqualTo("1");
                assertThat(c.sync().hgetall(dev.allot.app.control.RuleSetStore.key("demo"))).containsKey("version");
            }
        }
    }

    /**
     * Redis keeps its epoch but loses its last writes, as a crash between AOF fsyncs (everysec) or a failover to a
     * replica that lagged does: here the append-only file is cut back to its size before the last 30 decisions.
     */
    @Test
    void redisThatLosesItsLastWritesButKeepsItsEpochGetsThemBack() throws Exception {
        Path aof = Files.createDirectories(root.resolve("aof"));
        try (EmbeddedRedisExtension redis = EmbeddedRedisExtension.withAof(aof).open();
             ServiceFixture service = ServiceFixture.start(redis, ServiceFixture.BASE_CITY, UnaryOperator.identity())) {
            int answered = load(50, "kept", b -> service.post("/v1/decisions", b).status());
            service.flushAndRefresh();
            Path file = aof.resolve("appendonly.aof");
            long kept = Files.size(file);
            answered += load(30, "lost", b -> service.post("/v1/decisions", b).status());
            service.flushAndRefresh();
            assertThat(service.service().decisions().city("demo").totals().decisions()).isEqualTo(answered);

            redis.stop();
            try (var channel = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
                channel.truncate(kept);
            }
            redis.start();
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (streamLength(redis) < answered || service.state("demo").body().path("restoring").asBoolean()) {
                assertThat(System.nanoTime()).as("the lost writes are back within 30 s").isLessThan(deadline);
                Thread.sleep(100);
            }
            service.drainAfterOutage();
            System.out.println("Redis lost its last writes, kept its epoch: answered " + answered + ", decisions "
                    + service.service().decisions().city("demo").totals().decisions() + ", stream "
                    + streamLength(redis));
            assertThat(service.service().decisions().city("demo").totals().decisions()).isEqualTo(answered);
            assertThat(streamLength(redis)).isEqualTo(answered);
            assertThat(service.get("/metrics").text()).contains("allot_redis_lost_writes_total{city=\"demo\"} 30.0")
                    .doesNotContain("allot_redis_data_loss_total{");
        }
    }

    @Test
    void aStartThatFailsGivesItsJournalBack() throws Exception {
        Path data = root.resolve("data");
        try (EmbeddedRedisExtension redis = new EmbeddedRedisExtension().open();
             java.net.ServerSocket taken = new java.net.ServerSocket(0)) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> ServiceFixture.start(redis,
                    ServiceFixture.BASE_CITY, s -> s.withDataDir(data).withPort(taken.getLocalPort())))
                    .hasStackTraceContaining("Address already in use");
            // The same directory opens again in this process: the failed start released the journal's lock.
            try (ServiceFixture service = ServiceFixture.start(redis, ServiceFixture.BASE_CITY,
                    s -> s.withDataDir(data))) {
                assertThat(service.post("/v1/decisions", "{\"city\":\"demo\",\"userId\":\"u\"}").status())
                        .isEqualTo(200);
            }
        }
    }

    @Test
    void redisRestartedWithItsAppendOnlyFileNeedsNoRestore() throws Exception {
        try (EmbeddedRedisExtension redis = EmbeddedRedisExtension.withAof(Files.createDirectories(root.resolve("aof")))
                .open();
             ServiceFixture service = ServiceFixture.start(redis, ServiceFixture.BASE_CITY, UnaryOperator.identity())) {
            int answered = load(100, "before", b -> service.post("/v1/decisions", b).status());
            service.flushAndRefresh();
            redis.stop();
            answered += load(50, "down", b -> service.post("/v1/decisions", b).status());
            redis.start();
            service.drainAfterOutage();
            service.flushAndRefresh();
            System.out.println("Redis restarted with its AOF: answered " + answered + ", decisions "
                    + service.service().decisions().city("demo").totals().decisions() + ", stream "
                    + streamLength(redis));
            assertThat(service.service().decisions().city("demo").totals().decisions()).isEqualTo(answered);
            assertThat(streamLength(redis)).isEqualTo(answered);
            assertThat(service.get("/metrics").text()).doesNotContain("allot_redis_data_loss_total{");
        }
    }
}
