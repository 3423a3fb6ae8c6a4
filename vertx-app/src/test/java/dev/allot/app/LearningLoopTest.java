package dev.allot.app;

import com.fasterxml.jackson.databind.JsonNode;
import dev.allot.app.cli.ExportCommand;
import dev.allot.app.cli.TrainCommand;
import dev.allot.app.decision.OutcomeRequest;
import dev.allot.control.redis.EmbeddedRedisExtension;
import dev.allot.engine.DecisionRequest;
import dev.allot.engine.Json;
import dev.allot.scoring.Ladder;
import dev.allot.scoring.ModelBundle;
import dev.allot.scoring.training.SyntheticMarket;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The daily loop end to end against embedded Redis: exploration traffic decided and logged by the service,
 * outcomes reported, {@code export} joins the streams, {@code train} fits a new model, the service swaps to it,
 * and decisions carry the new model version.
 */
class LearningLoopTest {

    @RegisterExtension
    static final EmbeddedRedisExtension REDIS = new EmbeddedRedisExtension();

    static final String CITY = ServiceFixture.city("""
            { "explorationShare": 1.0, "holdoutShare": 0.0, "pid": { "kp": 0.15, "kd": 30 } }
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

    @Test
    void exportTrainSwapAndDecideWithTheNewModel() throws Exception {
        Context context = service.vertx().getOrCreateContext();
        Ladder ladder = new Ladder(18, new double[]{0, 2, 4, 6, 8, 10});
        SyntheticMarket market = SyntheticMarket.fullyObserved(ladder, 2027);
        SplittableRandom outcomes = new SplittableRandom(5);
        List<String> names = SyntheticMarket.SCHEMA.names();
        int arrivals = 12_000;
        int purchases = 0;
        for (int batch = 0; batch < arrivals / 200; batch++) {
            List<Future<Buffer>> decided = new ArrayList<>();
            List<double[]> truths = new ArrayList<>();
            for (int a = 0; a < 200; a++) {
                SyntheticMarket.Customer c = market.next();
                Map<String, Double> features = new LinkedHashMap<>();
                for (int f = 0; f < names.size() - 1; f++) {
                    if (!Float.isNaN(c.features()[f])) {
                        features.put(names.get(f), (double) c.features()[f]);
                    }
                }
                decided.add(service.service().decisions().decide(new DecisionRequest(null, "demo",
                        "user-" + batch + "-" + a, c.segment(), features, Map.of(), List.of(), null), false, context));
                truths.add(c.trueConversion());
            }
            List<Future<?>> reported = new ArrayList<>();
            for (int a = 0; a < decided.size(); a++) {
                JsonNode d = Json.MAPPER.readTree(decided.get(a).toCompletionStage().toCompletableFuture()
                        .get(5, TimeUnit.SECONDS).toString());
                assertThat(d.get("group").asText()).isEqualTo("exploration");
                boolean bought = outcomes.nextDouble() < truths.get(a)[d.get("level").asInt()];
                purchases += bought ? 1 : 0;
                reported.add(service.service().outcomes().record(
                        new OutcomeRequest(d.get("decisionId").asText(), bought, null), context));
            }
            for (Future<?> f : reported) {
                f.toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
            }
            service.clock.advance(java.time.Duration.ofSeconds(30));
        }
        service.flushAndRefresh();

        Path work = Files.createTempDirectory("allot-loop");
        Path csv = work.resolve("log.csv");
        assertThat(new CommandLine(new ExportCommand()).execute("--city", "demo", "--out", csv.toString(),
                "--redis-url", REDIS.url(), "--groups", "exploration")).isZero();
        List<String> lines = Files.readAllLines(csv);
        assertThat(lines).hasSize(arrivals + 1);
        assertThat(lines.get(0)).startsWith("avg_fare,days_since_first_ride,hour,rides_30d,level,coupon,price,"
                + "converted,revenue,propensity,group");
        assertThat(lines.stream().skip(1).filter(l -> l.split(",", -1)[7].equals("1")).count()).isEqualTo(purchases);

        Path model = work.resolve("model");
        assertThat(new CommandLine(new TrainCommand()).execute("--data", csv.toString(), "--out", model.toString(),
                "--city-config", Path.of("..", "config", "cities", "demo.json").toString(), "--depth", "4",
                "--rounds", "300")).isZero();
        ModelBundle trained = ModelBundle.load(model);
        assertThat(trained.version()).startsWith("m-");
        assertThat(trained.card().metrics().get("auc")).isGreaterThan(0.6);
        assertThat(trained.card().metrics().get("nonMonotoneRawShare")).isZero();
        assertThat(trained.card().parameters().get("refusedColumns").toString()).contains("revenue", "price");

        // A value model from the same log: a conversion brings in the ladder's price, 18 less the coupon, which
        // the model must find from the converted rows alone.
        Path valued = work.resolve("valued");
        assertThat(new CommandLine(new TrainCommand()).execute("--data", csv.toString(), "--out", valued.toString(),
                "--value-column", "revenue", "--depth", "3", "--rounds", "200")).isZero();
        ModelBundle withValue = ModelBundle.load(valued);
        assertThat(withValue.value()).isNotNull();
        double[] worth = new double[6];
        float[] row = new float[withValue.card().schema().size()];
        java.util.Arrays.fill(row, Float.NaN);
        withValue.value().evaluator().predictLevels(row, new float[]{0, 2, 4, 6, 8, 10}, worth);
        for (int j = 0; j < 6; j++) {
            assertThat(worth[j]).as("level %s", j).isCloseTo(18 - 2 * j, org.assertj.core.api.Assertions.within(0.3));
        }

        ServiceFixture.Response swapped = service.admin("PUT", "/v1/admin/cities/demo/model",
                "{\"path\":\"" + model + "\"}", ServiceFixture.ADMIN_TOKEN);
        assertThat(swapped.status()).as(swapped.text()).isEqualTo(200);
        assertThat(swapped.body().get("previousVersion").asText()).isEqualTo("demo-7-60000x60d4");
        JsonNode decision = service.post("/v1/decisions", "{\"city\":\"demo\",\"userId\":\"after-swap\","
                + "\"features\":{\"rides_30d\":5,\"avg_fare\":15}}").body();
        assertThat(decision.get("modelVersion").asText()).isEqualTo(trained.version());
    }
}
