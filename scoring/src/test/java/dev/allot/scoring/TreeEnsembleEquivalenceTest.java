package dev.allot.scoring;

import dev.allot.scoring.training.ModelTrainer;
import dev.allot.scoring.training.SyntheticMarket;
import dev.allot.scoring.training.TrainingSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The per-arrival Java evaluator must score exactly as native XGBoost4J does. */
class TreeEnsembleEquivalenceTest {

    private static final Ladder LADDER = new Ladder(18, new double[]{0, 2, 4, 6, 8, 10});
    private static XGBoostModel nativeModel;
    private static TreeEnsemble evaluator;

    @BeforeAll
    static void train() {
        TrainingSet data = new SyntheticMarket(LADDER, 11).explorationLog(20_000);
        nativeModel = ModelTrainer.train(data, new ModelTrainer.Parameters(200, 6, 0.1, false, 1, 2));
        evaluator = TreeEnsemble.read(nativeModel.toJson(), SyntheticMarket.SCHEMA);
    }

    @AfterAll
    static void close() {
        nativeModel.close();
    }

    @Test
    void matchesXGBoostOnTenThousandRandomRowsWithMissingValues() {
        assertThat(evaluator.trees()).isEqualTo(200);
        double diff = ModelBundle.maxDifference(evaluator, nativeModel, 12_000, 99);
        assertThat(diff).isLessThanOrEqualTo(1e-6);
    }

    @Test
    void matchesXGBoostOnRealisticArrivals() {
        SyntheticMarket market = new SyntheticMarket(LADDER, 5);
        int rows = 5_000;
        int width = SyntheticMarket.SCHEMA.size();
        float[] data = new float[rows * width];
        for (int i = 0; i < rows; i++) {
            float[] f = market.next().features();
            f[SyntheticMarket.SCHEMA.couponIndex()] = (float) LADDER.coupon(i % LADDER.size());
            System.arraycopy(f, 0, data, i * width, width);
        }
        double[] a = new double[rows];
        double[] b = new double[rows];
        evaluator.predict(data, rows, a);
        nativeModel.predict(data, rows, b);
        for (int i = 0; i < rows; i++) {
            assertThat(Math.abs(a[i] - b[i])).as("row %d", i).isLessThanOrEqualTo(1e-6);
        }
    }

    @Test
    void ladderWalkScoresEveryLevelExactlyAsRowByRowPrediction() {
        assertThat(evaluator.bitVectorWalk()).as("a depth-6 model walks on bit vectors").isTrue();
        assertLadderWalkMatches(evaluator, nativeModel, 17);
    }

    @Test
    void aModelWithTreesOfMoreThanSixtyFourLeavesWalksItsTreesAndScoresTheSame() {
        TrainingSet data = new SyntheticMarket(LADDER, 23).explorationLog(40_000);
        try (XGBoostModel deep = ModelTrainer.train(data, new ModelTrainer.Parameters(30, 9, 0.3, false, 1, 2))) {
            TreeEnsemble deepEvaluator = TreeEnsemble.read(deep.toJson(), SyntheticMarket.SCHEMA);
            assertThat(deepEvaluator.bitVectorWalk()).as("depth 9 has trees of more than 64 leaves").isFalse();
            assertLadderWalkMatches(deepEvaluator, deep, 29);
        }
    }

    /** Every level exactly as row-by-row prediction, and within 1e-6 of XGBoost4J, with missing values. */
    private static void assertLadderWalkMatches(TreeEnsemble evaluator, XGBoostModel nativeModel, long seed) {
        SyntheticMarket market = new SyntheticMarket(LADDER, seed);
        float[] coupons = {0, 2, 4, 6, 8, 10};
        int width = SyntheticMarket.SCHEMA.size();
        for (int i = 0; i < 3_000; i++) {
            float[] features = market.next().features();
            if (i % 3 == 0) {
                features[i % (width - 1)] = Float.NaN;
            }
            double[] walked = new double[coupons.length];
            evaluator.predictLevels(features, coupons, walked);
            double[] rowByRow = new double[coupons.length];
            float[] rows = new float[coupons.length * width];
            for (int j = 0; j < coupons.length; j++) {
                System.arraycopy(features, 0, rows, j * width, width);
                rows[j * width + SyntheticMarket.SCHEMA.couponIndex()] = coupons[j];
            }
            evaluator.predict(rows, coupons.length, rowByRow);
            assertThat(walked).as("arrival %d", i).containsExactly(rowByRow);
            double[] reference = new double[coupons.length];
            nativeModel.predict(rows, coupons.length, reference);
            for (int j = 0; j < coupons.length; j++) {
                assertThat(Math.abs(walked[j] - reference[j])).isLessThanOrEqualTo(1e-6);
            }
        }
    }

    @Test
    void everyShippedModelMatchesItsNativeTwin() throws IOException {
        Path models = Path.of("..", "models");
        List<Path> bundles;
        try (Stream<Path> dirs = Files.list(models)) {
            bundles = dirs.filter(d -> Files.isRegularFile(d.resolve(ModelBundle.CARD))).toList();
        }
        assertThat(bundles).as("shipped models under %s", models.toAbsolutePath()).isNotEmpty();
        for (Path dir : bundles) {
            ModelBundle bundle = ModelBundle.load(dir);
            try (XGBoostModel twin = XGBoostModel.load(dir.resolve(ModelBundle.UBJ_MODEL), bundle.card().schema())) {
                assertThat(ModelBundle.maxDifference(bundle.evaluator(), twin, 10_000, 7))
                        .as("model %s", dir).isLessThanOrEqualTo(1e-6);
            }
        }
    }

    @Test
    void bundleRoundTripsAndRefusesAMismatchedCard(@TempDir Path dir) throws IOException {
        ModelCard card = new ModelCard("test-1", SyntheticMarket.SCHEMA.names(), "coupon", List.of(0.0, 2.0),
                "2026-11-23T00:00:00Z", 20_000, null, null, null, "test");
        ModelBundle.write(dir, nativeModel, card);
        assertThat(ModelBundle.load(dir).version()).isEqualTo("test-1");

        ModelCard wrong = new ModelCard("test-2", List.of("a", "b", "coupon"), "coupon", null, null, 0, null,
                null, null, "test");
        ModelBundle.write(dir, nativeModel, wrong);
        assertThatThrownBy(() -> ModelBundle.load(dir)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("5 features").hasMessageContaining("[a, b, coupon]");
    }

    @Test
    void refusesATruncatedModelFile(@TempDir Path dir) throws IOException {
        ModelCard card = new ModelCard("t", SyntheticMarket.SCHEMA.names(), "coupon", null, null, 0, null, null, null,
                "");
        ModelBundle.write(dir, nativeModel, card);
        byte[] json = Files.readAllBytes(dir.resolve(ModelBundle.JSON_MODEL));
        Files.write(dir.resolve(ModelBundle.JSON_MODEL), java.util.Arrays.copyOf(json, json.length / 2));
        assertThatThrownBy(() -> ModelBundle.load(dir)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("model.json");
    }
}
