package dev.allot.app;

import dev.allot.control.redis.EmbeddedRedisExtension;
import dev.allot.engine.Json;
import dev.allot.scoring.Ladder;
import dev.allot.scoring.ModelBundle;
import dev.allot.scoring.ModelCard;
import dev.allot.scoring.XGBoostModel;
import dev.allot.scoring.training.ModelTrainer;
import dev.allot.scoring.training.SyntheticMarket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** A city's model replaced while it serves, by admin call and by writing into its model directory. */
class HotSwapTest {

    @RegisterExtension
    static final EmbeddedRedisExtension REDIS = new EmbeddedRedisExtension();

    static final List<Double> LADDER = List.of(0.0, 2.0, 4.0, 6.0, 8.0, 10.0);
    static Path watched;
    static Path original;
    static Path second;
    static ServiceFixture service;

    @BeforeAll
    static void start() throws Exception {
        Path root = Files.createTempDirectory("allot-swap");
        original = copy(ServiceFixture.SHIPPED_MODEL, root.resolve("original"));
        watched = copy(ServiceFixture.SHIPPED_MODEL, root.resolve("watched"));
        second = root.resolve("second");
        writeModel(second, "swap-v2", LADDER, 99);
        service = ServiceFixture.start(REDIS, ServiceFixture.city(
                Json.MAPPER.writeValueAsString(Map.of("model", watched.toString()))));
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    @BeforeEach
    void serveTheOriginal() {
        assertThat(swap(original).status()).isEqualTo(200);
    }

    static Path copy(Path from, Path to) throws Exception {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(f.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return to;
    }

    static void writeModel(Path dir, String version, List<Double> ladder, long seed) throws Exception {
        Ladder l = new Ladder(18, ladder.stream().mapToDouble(Double::doubleValue).toArray());
        try (XGBoostModel model = ModelTrainer.train(new SyntheticMarket(l, seed).explorationLog(20_000),
                new ModelTrainer.Parameters(30, 3, 0.2, true, seed, 1))) {
            ModelBundle.write(dir, model, new ModelCard(version, SyntheticMarket.SCHEMA.names(), "coupon", ladder,
                    null, 20_000, null, null, null, "HotSwapTest"));
        }
    }

    static ServiceFixture.Response swap(Path dir) {
        return service.admin("PUT", "/v1/admin/cities/demo/model", "{\"path\":\"" + dir + "\"}",
                ServiceFixture.ADMIN_TOKEN);
    }

    static String servedVersion() {
        return service.post("/v1/decisions", "{\"city\":\"demo\",\"userId\":\"probe\"}").body().get("modelVersion")
                .asText();
    }

    @Test
    void swapsTheModelUnderLoadWithoutAFailedRequest() throws Exception {
        AtomicBoolean running = new AtomicBoolean(true);
        List<Integer> statuses = new CopyOnWriteArrayList<>();
        Set<String> versions = ConcurrentHashMap.newKeySet();
        List<Thread> clients = Stream.of(0, 1, 2).map(t -> new Thread(() -> {
            int i = 0;
            while (running.get()) {
                ServiceFixture.Response r = service.post("/v1/decisions",
                        "{\"city\":\"demo\",\"userId\":\"load-" + t + "-" + i++ + "\",\"features\":{\"rides_30d\":3}}");
                statuses.add(r.status());
                if (r.status() == 200) {
                    versions.add(r.body().get("modelVersion").asText());
                }
            }
        })).toList();
        clients.forEach(Thread::start);
        for (int round = 0; round < 4; round++) {
            Thread.sleep(150);
            ServiceFixture.Response r = swap(round % 2 == 0 ? second : original);
            assertThat(r.status()).as(r.text()).isEqualTo(200);
        }
        Thread.sleep(150);
        running.set(false);
        for (Thread t : clients) {
            t.join();
        }
        assertThat(statuses).hasSizeGreaterThan(100).containsOnly(200);
        assertThat(versions).containsExactlyInAnyOrder("demo-7-60000x60d4", "swap-v2");
        assertThat(servedVersion()).isEqualTo("demo-7-60000x60d4");
    }

    @Test
    void refusesACorruptModelAndKeepsServingTheOldOne() throws Exception {
        Path corrupt = copy(second, second.resolveSibling("corrupt"));
        byte[] json = Files.readAllBytes(corrupt.resolve(ModelBundle.JSON_MODEL));
        Files.write(corrupt.resolve(ModelBundle.JSON_MODEL), java.util.Arrays.copyOf(json, json.length / 3));
        ServiceFixture.Response r = swap(corrupt);
        assertThat(r.status()).isEqualTo(422);
        assertThat(r.body().get("error").asText()).isEqualTo("model_rejected");
        assertThat(r.body().get("message").asText()).contains("model.json");
        assertThat(servedVersion()).isEqualTo("demo-7-60000x60d4");
    }

    @Test
    void refusesAModelTrainedForAnotherLadderOrSchema() throws Exception {
        Path otherLadder = second.resolveSibling("other-ladder");
        writeModel(otherLadder, "ladder-3", List.of(0.0, 3.0, 6.0), 5);
        ServiceFixture.Response r = swap(otherLadder);
        assertThat(r.status()).isEqualTo(422);
        assertThat(r.body().get("message").asText()).contains("ladder");

        Path otherSchema = copy(second, second.resolveSibling("other-schema"));
        String card = Files.readString(otherSchema.resolve(ModelBundle.CARD));
        Files.writeString(otherSchema.resolve(ModelBundle.CARD), card.replace("\"avg_fare\"", "\"fare\""));
        ServiceFixture.Response schema = swap(otherSchema);
        assertThat(schema.status()).isEqualTo(422);
        assertThat(schema.body().get("message").asText()).contains("feature names");
        assertThat(swap(Path.of("/nonexistent/model")).status()).isEqualTo(422);
        assertThat(servedVersion()).isEqualTo("demo-7-60000x60d4");
    }

    @Test
    void picksUpAModelWrittenIntoTheWatchedDirectory() throws Exception {
        assertThat(swap(watched).status()).isEqualTo(200);
        writeModel(watched, "watched-v3", LADDER, 3);
        service.service().models().reloadChanged();
        assertThat(servedVersion()).isEqualTo("watched-v3");

        Files.writeString(watched.resolve(ModelBundle.CARD), "{ not json");
        service.service().models().reloadChanged();
        assertThat(servedVersion()).as("a broken write leaves the last good model serving").isEqualTo("watched-v3");
        assertThat(service.get("/health/ready").body().get("models").get("demo").asText()).isEqualTo("watched-v3");
        copy(ServiceFixture.SHIPPED_MODEL, watched);
    }
}
