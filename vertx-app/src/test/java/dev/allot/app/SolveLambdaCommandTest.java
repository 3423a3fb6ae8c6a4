package dev.allot.app;

import com.fasterxml.jackson.databind.JsonNode;
import dev.allot.app.cli.SolveLambdaCommand;
import dev.allot.control.redis.EmbeddedRedisExtension;
import dev.allot.control.redis.RedisKeys;
import dev.allot.engine.Json;
import dev.allot.scoring.Ladder;
import dev.allot.scoring.training.SyntheticMarket;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class SolveLambdaCommandTest {

    @RegisterExtension
    static final EmbeddedRedisExtension REDIS = new EmbeddedRedisExtension();

    private static final Path DEMO_CONFIG = Path.of("..", "config", "cities", "demo.json");

    record Run(int exit, JsonNode json) {
    }

    private static Run run(String... args) throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        int exit;
        try {
            exit = new CommandLine(new SolveLambdaCommand()).execute(args);
        } finally {
            System.setOut(original);
        }
        String text = out.toString(StandardCharsets.UTF_8).strip();
        return new Run(exit, text.isEmpty() ? null : Json.MAPPER.readTree(text));
    }

    @Test
    void solvesFromACurvesFileAndAgreesWithTrisection(@TempDir Path dir) throws Exception {
        Path curves = dir.resolve("curves.csv");
        StringBuilder csv = new StringBuilder("id,r_0,r_1,r_2,r_3,r_4,r_5\n");
        SyntheticMarket market = new SyntheticMarket(new Ladder(18, new double[]{0, 2, 4, 6, 8, 10}), 12);
        for (int i = 0; i < 5_000; i++) {
            double[] truth = market.next().trueConversion();
            csv.append(i);
            for (double r : truth) {
                csv.append(',').append(r);
            }
            csv.append('\n');
        }
        Files.writeString(curves, csv);
        Run run = run("--city-config", DEMO_CONFIG.toString(), "--curves", curves.toString(), "--trisection");
        assertThat(run.exit()).isZero();
        JsonNode out = run.json();
        for (String field : new String[]{"lambda", "lpObjective", "integralObjective", "constraintUsage",
                "levelShares", "arrivals", "elapsedMs"}) {
            assertThat(out.has(field)).as(field).isTrue();
        }
        assertThat(out.get("arrivals").asInt()).isEqualTo(5_000);
        assertThat(out.get("constraintUsage").asDouble()).isLessThanOrEqualTo(0);
        assertThat(out.get("lambda").asDouble()).isPositive();
        assertThat(out.get("levelShares")).hasSize(6);
        assertThat(out.get("trisection").get("iterations").asInt()).isPositive();
        assertThat(out.get("trisection").get("lambda").asDouble())
                .isCloseTo(out.get("lambda").asDouble(), within(1e-5));
    }

    @Test
    void solvesFromFeatureRowsScoredWithTheCitysModel(@TempDir Path dir) throws Exception {
        Path population = dir.resolve("population.csv");
        StringBuilder csv = new StringBuilder("user,rides_30d,days_since_first_ride,avg_fare,hour\n");
        SyntheticMarket market = new SyntheticMarket(new Ladder(18, new double[]{0, 2, 4, 6, 8, 10}), 13);
        for (int i = 0; i < 3_000; i++) {
            float[] f = market.next().features();
            csv.append("u").append(i).append(',').append(f[0]).append(',')
                    .append(Float.isNaN(f[1]) ? "" : Float.toString(f[1])).append(',').append(f[2]).append(',')
                    .append(f[3]).append('\n');
        }
        Files.writeString(population, csv);
        Run run = run("--city-config", DEMO_CONFIG.toString(), "--population", population.toString());
        assertThat(run.exit()).isZero();
        assertThat(run.json().get("arrivals").asInt()).isEqualTo(3_000);
        assertThat(run.json().get("constraintUsage").asDouble()).isLessThanOrEqualTo(0);
        assertThat(run.json().get("repairedCurves").asLong()).isPositive();
    }

    @Test
    void storesTheLambdaAsADaysStartingPoint(@TempDir Path dir) throws Exception {
        Path curves = dir.resolve("c.csv");
        Files.writeString(curves, "id,r_0,r_1,r_2,r_3,r_4,r_5\na,0.1,0.2,0.3,0.4,0.5,0.6\nb,0.2,0.2,0.3,0.3,0.4,0.4\n");
        Run run = run("--city-config", DEMO_CONFIG.toString(), "--curves", curves.toString(),
                "--store-day", "2026-11-24", "--redis-url", REDIS.url());
        assertThat(run.exit()).isZero();
        assertThat(run.json().get("storedFor").asText()).isEqualTo("2026-11-24");
        try (StatefulRedisConnection<String, String> c = REDIS.connect()) {
            assertThat(Double.parseDouble(c.sync().get(RedisKeys.lambda0("demo", "2026-11-24"))))
                    .isEqualTo(run.json().get("lambda").asDouble());
        }
    }

    @Test
    void exitsNonZeroWhenNoPolicyMeetsTheBudget(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("strict.json");
        Files.writeString(config, Files.readString(DEMO_CONFIG).replace("\"target\": 14.5", "\"target\": 18.5")
                .replace("../../models/demo", Path.of("..", "models", "demo").toAbsolutePath().toString()));
        Path curves = dir.resolve("c.csv");
        Files.writeString(curves, "id,r_0,r_1,r_2,r_3,r_4,r_5\na,0.1,0.2,0.3,0.4,0.5,0.6\n");
        Run run = run("--city-config", config.toString(), "--curves", curves.toString());
        assertThat(run.exit()).isEqualTo(3);
        assertThat(run.json().get("feasible").asBoolean()).isFalse();
    }
}
