package dev.allot.engine;

import dev.allot.engine.config.CityConfig;
import dev.allot.engine.config.ConfigLoader;
import dev.allot.engine.replay.Replay;
import dev.allot.engine.replay.ReplayReport;
import dev.allot.rules.GuardrailRules;
import dev.allot.rules.RuleSet;
import dev.allot.scoring.ModelBundle;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;

import static org.assertj.core.api.Assertions.assertThat;

/** The engine on the shipped demo model and rules: real XGBoost trees, real Drools. */
class DecisionEngineTest {

    static final Path DEMO = Path.of("..", "config", "cities", "demo.json");

    static RuleSet rules;

    @BeforeAll
    static void compileRules() {
        rules = GuardrailRules.compile(Path.of("..", "rules", "guardrails"),
                ConfigLoader.loadCity(DEMO).ruleFields());
    }

    /** The shipped demo city with the given exploration and holdout shares. */
    /**
     * Arrival {@code i} of a recorded synthetic day of the demo city (segments in turn, features drawn from
     * {@code random}), decided live at {@code lambda} at {@code timestampMillis} on 2026-11-24.
     */
    static DecisionRecord recordedArrival(CitySetup setup, int i, java.util.SplittableRandom random, double hour,
                                          double lambda, long timestampMillis) {
        String[] segments = {"new", "low_frequency", "high_frequency"};
        DecisionRequest request = new DecisionRequest(null, "demo", "u-" + i, segments[i % 3],
                Map.of("rides_30d", (double) random.nextInt(20), "avg_fare", 10.0 + random.nextInt(10),
                        "days_since_first_ride", (double) random.nextInt(600), "hour", hour),
                Map.of(), List.of(), null);
        return DecisionEngine.decide(setup, rules, lambda, request, new DecisionContext(0, true, 0, 0, 0),
                "demo.r" + i, timestampMillis, "2026-11-24").record();
    }

    static CitySetup setup(Path dir, double exploration, double holdout) throws IOException {
        Path file = dir.resolve("demo.json");
        Files.writeString(file, Files.readString(DEMO)
                .replace("\"explorationShare\": 0.05", "\"explorationShare\": " + exploration)
                .replace("\"holdoutShare\": 0.02", "\"holdoutShare\": " + holdout)
                .replace("\"../../models/demo\"", "\"" + Path.of("..", "models", "demo").toAbsolutePath() + "\""));
        CityConfig config = ConfigLoader.loadCity(file);
        return CitySetup.of(config, ModelBundle.load(config.model()));
    }

    static DecisionRequest request(String user, String segment, Map<String, Object> attributes) {
        return new DecisionRequest(null, "demo", user, segment, Map.of("rides_30d", 3.0, "avg_fare", 15.0,
                "unknown_feature", 1.0), attributes, List.of(), null);
    }

    @Test
    void explorationDrawsFromTheDecisionIdSoTheSameIdGivesTheSameLevel(@TempDir Path dir) throws IOException {
        CitySetup setup = setup(dir, 1.0, 0.0);
        Map<Integer, Integer> levels = new HashMap<>();
        for (int i = 0; i < 600; i++) {
            DecisionRequest r = request("u-" + i, "new", Map.of());
            DecisionRecord first = DecisionEngine.decide(setup, rules, 0.5, r, DecisionContext.UNKNOWN,
                    "demo.id-" + i, 0, "2026-11-25").record();
            DecisionRecord again = DecisionEngine.decide(setup, rules, 0.5, r, DecisionContext.UNKNOWN,
                    "demo.id-" + i, 0, "2026-11-25").record();
            assertThat(first.group()).isEqualTo("exploration");
            assertThat(again.level()).isEqualTo(first.level());
            assertThat(first.propensity()).isEqualTo(1.0 / 6);
            levels.merge(first.level(), 1, Integer::sum);
        }
        // Uniform over the six allowed levels: each near 100 of 600.
        assertThat(levels).hasSize(6);
        assertThat(levels.values()).allSatisfy(n -> assertThat(n).isBetween(60, 140));
    }

    @Test
    void rulesSeeTheRecordedContext(@TempDir Path dir) throws IOException {
        CitySetup setup = setup(dir, 0.0, 0.0);
        DecisionRequest r = request("u-1", "low_frequency", Map.of());
        DecisionRecord fresh = DecisionEngine.decide(setup, rules, 0.0, r, new DecisionContext(0, true, 0, 0, 0),
                "demo.a", 0, "d").record();
        DecisionRecord limited = DecisionEngine.decide(setup, rules, 0.0, r, new DecisionContext(3, true, 0, 0, 0),
                "demo.a", 0, "d").record();

        assertThat(fresh.coupon()).isPositive();
        assertThat(limited.level()).isZero();
        assertThat(limited.reasons()).extracting(reason -> reason.rule()).containsExactly("weekly-coupon-limit");
        assertThat(limited.context().couponsLast7Days()).isEqualTo(3);
    }

    @Test
    void unknownFeaturesAreCountedAndTheRecordKeepsWhatWasSent(@TempDir Path dir) throws IOException {
        CitySetup setup = setup(dir, 0.0, 0.0);
        DecisionEngine.Result result = DecisionEngine.decide(setup, rules, 0.5,
                request("u-2", null, Map.of("fraud_risk", true)), DecisionContext.UNKNOWN, "demo.b", 7, "d");

        assertThat(result.unknownFeatures()).isEqualTo(1);
        assertThat(result.record().segment()).isEqualTo(DecisionEngine.UNKNOWN_SEGMENT);
        assertThat(result.record().features()).containsKey("unknown_feature");
        assertThat(result.record().level()).isZero();
        assertThat(result.record().reasons()).extracting(reason -> reason.rule()).contains("no-coupon-fraud-risk");
        assertThat(result.record().levels().allowedMask()).isEqualTo("100000");
    }

    @Test
    void replaySkipsRecordsWrittenBeforeTheFormatWasVersioned(@TempDir Path dir) throws IOException {
        CitySetup setup = setup(dir, 0.0, 0.0);
        DecisionRecord current = DecisionEngine.decide(setup, rules, 0.5, request("u-3", "new", Map.of()),
                new DecisionContext(1, true, 10, 5, 1), "demo.c", 9, "d").record();
        String[] fields = {"decisionId", "demo.old", "ts", "1", "userId", "u-4", "segment", "new", "group",
                "optimized", "propensity", "1.0", "level", "1", "coupon", "2.0", "price", "16.0", "lambda", "0.5",
                "raw", "[0.1,0.2,0.3,0.4,0.5,0.6]", "calibrated", "[0.1,0.2,0.3,0.4,0.5,0.6]", "allowed", "111111"};
        Map<String, String> entry = new HashMap<>();
        for (int f = 0; f < fields.length; f += 2) {
            entry.put(fields[f], fields[f + 1]);
        }
        DecisionRecord old = DecisionCodec.fromStream(entry);

        ReplayReport report = Replay.run(List.of(current, old), new Replay.Candidate(setup, rules,
                OptionalDouble.empty(), Replay.Curves.RECORDED));

        assertThat(report.total().decisions()).isEqualTo(1);
        assertThat(report.total().changed()).isZero();
        assertThat(report.unversioned()).isEqualTo(1);
        assertThat(report.table()).contains("1 records from before the versioned format skipped");
    }

    /**
     * A value model beside the demo's conversion model: a conversion brings in about five times the usual fare,
     * less the coupon. With the demo's revenue objective the objective counts it for each arrival, so two riders
     * with different fares are worth different amounts and the choice weighs them; prices, the rules and the
     * price floor keep the ladder's; a conversions city ignores the model.
     */
    @Test
    void aValueModelPricesEachArrivalsLevelsWhereTheObjectiveCountsRevenue(@TempDir Path dir) throws IOException {
        Path models = dir.resolve("model");
        Files.createDirectories(models);
        for (String f : List.of(ModelBundle.CARD, ModelBundle.JSON_MODEL, ModelBundle.UBJ_MODEL)) {
            Files.copy(Path.of("..", "models", "demo", f), models.resolve(f));
        }
        ModelBundle demo = ModelBundle.load(models);
        dev.allot.scoring.FeatureSchema schema = demo.card().schema();
        int n = 4_000;
        int width = schema.size();
        float[] x = new float[n * width];
        float[] converted = new float[n];
        float[] worth = new float[n];
        String[] users = new String[n];
        java.util.SplittableRandom random = new java.util.SplittableRandom(4);
        int fare = schema.names().indexOf("avg_fare");
        int coupon = schema.couponIndex();
        for (int i = 0; i < n; i++) {
            for (int f = 0; f < width; f++) {
                x[i * width + f] = random.nextInt(20);
            }
            x[i * width + fare] = 10 + random.nextInt(20);
            x[i * width + coupon] = 2 * random.nextInt(6);
            converted[i] = random.nextDouble() < 0.5 ? 1 : 0;
            worth[i] = (float) (5 * x[i * width + fare] - x[i * width + coupon] + random.nextGaussian());
            users[i] = "u" + i;
        }
        dev.allot.scoring.training.TrainingTable table = new dev.allot.scoring.training.TrainingTable(
                new dev.allot.scoring.training.TrainingSet(schema, x, converted, n), users, null, List.of(), Map.of(),
                worth);
        dev.allot.scoring.training.Trainer.Result value = dev.allot.scoring.training.Trainer.trainValue(table,
                new dev.allot.scoring.training.Trainer.Options(300, 20, 3, 0.3, false, 1, 1, 0.2,
                        dev.allot.scoring.training.Trainer.Split.USER, List.of()), "test",
                dev.allot.scoring.training.Boosting.QUIET);
        assertThat(value.card().metrics().get("rmse")).isLessThan(0.25 * value.card().metrics().get("rmseOfTheMean"));
        ModelBundle.writeValue(models, value.model(), value.card());

        // A value model names the conversion model it was trained with; beside another, it is refused.
        Path stale = dir.resolve("stale");
        Files.createDirectories(stale);
        for (String f : List.of(ModelBundle.CARD, ModelBundle.JSON_MODEL, ModelBundle.UBJ_MODEL)) {
            Files.copy(models.resolve(f), stale.resolve(f));
        }
        dev.allot.scoring.training.Trainer.Result other = dev.allot.scoring.training.Trainer.trainValue(table,
                new dev.allot.scoring.training.Trainer.Options(20, 5, 2, 0.3, false, 1, 1, 0.2,
                        dev.allot.scoring.training.Trainer.Split.USER, List.of()), "test",
                dev.allot.scoring.training.Boosting.QUIET, "m-another");
        ModelBundle.writeValue(stale, other.model(), other.card());
        other.model().close();
        value.model().close();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ModelBundle.load(stale))
                .hasMessage(stale + ": the value model was trained with conversion model m-another, this directory's"
                        + " is " + demo.version() + ": train them together");

        Path file = dir.resolve("demo.json");
        Files.writeString(file, Files.readString(DEMO).replace("\"../../models/demo\"",
                "\"" + models.toAbsolutePath() + "\""));
        CitySetup revenue = CitySetup.of(ConfigLoader.loadCity(file), ModelBundle.load(models));
        assertThat(revenue.value()).as("the bundle's value model, checked against native XGBoost on load").isNotNull();
        DecisionRecord cheap = DecisionEngine.decide(revenue, rules, 0.5, fare("cheap", 12), DecisionContext.UNKNOWN,
                "demo.v1", 0, "2026-11-25").record();
        DecisionRecord dear = DecisionEngine.decide(revenue, rules, 0.5, fare("dear", 28), DecisionContext.UNKNOWN,
                "demo.v2", 0, "2026-11-25").record();
        for (int j = 0; j < revenue.coupons().length; j++) {
            assertThat(cheap.levels().worth()[j]).as("level %s", j)
                    .isCloseTo(60 - revenue.coupons()[j], org.assertj.core.api.Assertions.within(3.0));
            assertThat(dear.levels().worth()[j]).as("level %s", j)
                    .isCloseTo(140 - revenue.coupons()[j], org.assertj.core.api.Assertions.within(5.0));
            assertThat(cheap.levels().values()[j]).as("revenue = conversion x worth")
                    .isCloseTo(cheap.levels().calibrated()[j] * cheap.levels().worth()[j],
                            org.assertj.core.api.Assertions.within(1e-9));
        }
        // The price stays the ladder's: what the app is told, what the rules and the price floor see.
        assertThat(dear.levels().prices()).containsExactly(revenue.prices());
        assertThat(dear.levels().costs()[1]).as("the floor's cost reads the price, not the worth")
                .isCloseTo(dear.levels().calibrated()[1] * (14.5 - revenue.prices()[1]),
                        org.assertj.core.api.Assertions.within(1e-9));
        double[] recorded = DecisionCodec.fromJson(DecisionCodec.toJson(dear)).levels().worth();
        for (int j = 0; j < recorded.length; j++) {
            assertThat(recorded[j]).as("recorded, to seven digits").isCloseTo(dear.levels().worth()[j],
                    org.assertj.core.api.Assertions.within(1e-4));
        }

        Files.writeString(file, Files.readString(file).replace("\"objective\": \"revenue\"",
                "\"objective\": \"conversions\""));
        CitySetup conversions = CitySetup.of(ConfigLoader.loadCity(file), ModelBundle.load(models));
        assertThat(conversions.value()).isNull();
        assertThat(DecisionEngine.decide(conversions, rules, 0.5, fare("dear", 28), DecisionContext.UNKNOWN,
                "demo.v3", 0, "2026-11-25").record().levels().worth()).isNull();
    }

    private static DecisionRequest fare(String user, double fare) {
        return new DecisionRequest(null, "demo", user, "new", Map.of("rides_30d", 3.0, "avg_fare", fare),
                Map.of(), List.of(), null);
    }
}
