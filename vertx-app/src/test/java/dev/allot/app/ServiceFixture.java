package dev.allot.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.allot.control.redis.EmbeddedRedisExtension;
import dev.allot.engine.Json;
import io.vertx.core.Vertx;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole service for a test class: a real embedded Redis, the shipped demo model, the shipped rule files
 * (copied, so tests may break them), one city config of the test's choosing, and a JDK HTTP client.
 */
public final class ServiceFixture implements AutoCloseable {

    public static final String ADMIN_TOKEN = "test-admin-token";
    public static final Path SHIPPED_MODEL = Path.of("..", "models", "demo").toAbsolutePath().normalize();
    public static final Path SHIPPED_RULES = Path.of("..", "rules", "guardrails").toAbsolutePath().normalize();

    /** A clock that moves only when told to. */
    public static final class ManualClock extends Clock {
        private volatile Instant now;

        public ManualClock(Instant start) {
            this.now = start;
        }

        public void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneId.of("UTC");
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }

    /** The city the integration tests serve, unless a test overrides some of its fields. */
    static final String BASE_CITY = """
            { "city": "demo", "basePrice": 18.0, "ladder": [0, 2, 4, 6, 8, 10], "objective": "revenue",
              "constraint": { "type": "average-price-floor", "target": 14.5 },
              "explorationShare": 0.1, "holdoutShare": 0.05,
              "pid": { "kp": 0.05, "intervalSeconds": 3600, "lambdaMax": 10 }, "initialLambda": 0.5,
              "dayStart": "04:00", "timezone": "Asia/Shanghai", "model": "MODEL",
              "ruleFields": { "attributes": { "fraud_risk": "boolean", "has_subscription": "boolean" } } }
            """;

    /** The base city with {@code overrides} (a JSON object) merged in, nested objects field by field. */
    static String city(String overrides) {
        try {
            ObjectNode base = (ObjectNode) Json.MAPPER.readTree(BASE_CITY);
            Json.MAPPER.readerForUpdating(base).readValue(overrides);
            return Json.MAPPER.writeValueAsString(base);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The shipped rule files by name, as the activate endpoint takes them; tests add their own beside them. */
    public static Map<String, String> shippedRuleFiles() throws IOException {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> paths = Files.list(SHIPPED_RULES)) {
            for (Path p : paths.toList()) {
                files.put(p.getFileName().toString(), Files.readString(p));
            }
        }
        return files;
    }

    /** HTTP status and parsed JSON body. */
    public record Response(int status, JsonNode body, String text) {
    }

    private final Vertx vertx;
    private final AllotService service;
    private final Path rulesDir;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    /** The service's clock: moving it moves the service's time. */
    public final ManualClock clock;

    private ServiceFixture(Vertx vertx, AllotService service, Path rulesDir, ManualClock clock) {
        this.vertx = vertx;
        this.service = service;
        this.rulesDir = rulesDir;
        this.clock = clock;
    }

    /** {@code cityJson} with {@code MODEL} standing for the shipped model's path. */
    public static ServiceFixture start(EmbeddedRedisExtension redis, String cityJson) throws Exception {
        return start(redis, cityJson, UnaryOperator.identity());
    }

    /** As {@link #start(EmbeddedRedisExtension, String)}, with the test's own changes to the settings. */
    public static ServiceFixture start(EmbeddedRedisExtension redis, String cityJson,
                                       UnaryOperator<AllotService.Settings> customize) throws Exception {
        return start(redis, List.of(cityJson), customize);
    }

    /** A service serving several cities, one config each. */
    public static ServiceFixture start(EmbeddedRedisExtension redis, List<String> cityJsons,
                                       UnaryOperator<AllotService.Settings> customize) throws Exception {
        return start(redis.url(), cityJsons, customize);
    }

    /** A service on the Redis at {@code redisUrl} (one node or a cluster). */
    public static ServiceFixture start(String redisUrl, List<String> cityJsons,
                                       UnaryOperator<AllotService.Settings> customize) throws Exception {
        Path root = Files.createTempDirectory("allot-test");
        Path config = writeCities(root, cityJsons);
        Path rules = copyShippedRules(root);
        Vertx vertx = Vertx.vertx();
        ManualClock clock = new ManualClock(Instant.parse("2026-11-23T06:00:00Z"));
        AllotService.Settings settings = AllotService.Settings.defaults(redisUrl).withHost("127.0.0.1")
                .withPort(0).withDirectories(config, rules).withAdminToken(ADMIN_TOKEN)
                .withTimers(10, 200, 0).withClock(clock).withDataDir(root.resolve("data"));
        AllotService service = AllotService.start(vertx, customize.apply(settings)).toCompletionStage().toCompletableFuture()
                .get(60, TimeUnit.SECONDS);
        return new ServiceFixture(vertx, service, rules, clock);
    }

    /** {@code root/cities} with one file per city config ({@code MODEL}: the shipped model). */
    static Path writeCities(Path root, List<String> cityJsons) throws IOException {
        Path config = Files.createDirectories(root.resolve("cities"));
        for (int i = 0; i < cityJsons.size(); i++) {
            Files.writeString(config.resolve("city" + i + ".json"),
                    cityJsons.get(i).replace("MODEL", SHIPPED_MODEL.toString().replace("\\", "\\\\")));
        }
        return config;
    }

    /** {@code root/rules} with a copy of the shipped rule files. */
    static Path copyShippedRules(Path root) throws IOException {
        Path rules = Files.createDirectories(root.resolve("rules"));
        try (Stream<Path> files = Files.list(SHIPPED_RULES)) {
            for (Path f : files.toList()) {
                Files.copy(f, rules.resolve(f.getFileName()));
            }
        }
        return rules;
    }

    public AllotService service() {
        return service;
    }

    public Vertx vertx() {
        return vertx;
    }

    public Path rulesDir() {
        return rulesDir;
    }

    public Response post(String path, String body) {
        return send(HttpRequest.newBuilder(uri(path)).POST(HttpRequest.BodyPublishers.ofString(body))
                .header("content-type", "application/json"));
    }

    public Response get(String path) {
        return send(HttpRequest.newBuilder(uri(path)).GET());
    }

    /** A city's state, read with the admin token (the state needs the read scope). */
    public Response state(String city) {
        return admin("GET", "/v1/cities/" + city + "/state", null, ADMIN_TOKEN);
    }

    public Response admin(String method, String path, String body, String token) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return send(b);
    }

    public Response send(HttpRequest.Builder request) {
        try {
            HttpResponse<String> r = http.send(request.timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            JsonNode json = r.body().isEmpty() || !r.body().startsWith("{") ? null : Json.MAPPER.readTree(r.body());
            return new Response(r.statusCode(), json, r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Empties Redis as for a new environment: the replica's writes are flushed first, its journal forgets them, and
     * the cities' epochs survive the FLUSHALL (in one transaction), so the replica does not take the empty Redis
     * for one that lost its data and restore it.
     */
    public void resetRedis(EmbeddedRedisExtension redis) throws Exception {
        flushAndRefresh();
        service.controller().log().forgetApplied().toCompletableFuture().get(10, TimeUnit.SECONDS);
        try (var c = redis.connect()) {
            Map<String, String> epochs = new java.util.HashMap<>();
            for (String city : service.decisions().cities().keySet()) {
                String epoch = c.sync().get(dev.allot.control.redis.RedisKeys.epoch(city));
                if (epoch != null) {
                    epochs.put(dev.allot.control.redis.RedisKeys.epoch(city), epoch);
                }
            }
            c.sync().multi();
            c.sync().flushall();
            epochs.forEach((k, v) -> c.sync().set(k, v));
            c.sync().exec();
        }
        service.decisions().grants().reset();
        flushAndRefresh();
        awaitGrants();
    }

    /**
     * Waits until this replica's grants view has read every grant in Redis now: what another replica flushed
     * counts here from then on (the staleness the design states, waited out).
     */
    public void awaitGrants() throws InterruptedException {
        assertThat(service.decisions().grants().awaitCaughtUp(java.time.Duration.ofSeconds(10)))
                .as("grants view caught up").isTrue();
    }

    /** Writes everything this replica holds to Redis, and re-reads each city's view. */
    public void flushAndRefresh() throws Exception {
        var controller = service.controller();
        var context = vertx.getOrCreateContext();
        controller.flush(context).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        for (var city : service.decisions().cities().values()) {
            controller.refresh(city, context).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    /**
     * After Redis comes back: flushes and refreshes until nothing waits in the write buffer, tolerating the
     * connections' reconnects (each on its own schedule), for at most 30 seconds.
     */
    public void drainAfterOutage() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                flushAndRefresh();
                var log = service.controller().log();
                if (log.pendingDecisions() + log.pendingOutcomes() == 0) {
                    return;
                }
            } catch (ExecutionException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("writes still pending after 30 s");
            }
            Thread.sleep(50);
        }
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + service.port() + path);
    }

    @Override
    public void close() {
        try {
            service.stop().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("service did not stop cleanly", e);
        }
    }
}
