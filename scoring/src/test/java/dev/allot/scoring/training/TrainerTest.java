package dev.allot.scoring.training;

import dev.allot.scoring.ConversionCurve;
import dev.allot.scoring.ConversionScorer;
import dev.allot.scoring.Ladder;
import dev.allot.scoring.TreeEnsemble;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.SplittableRandom;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Training from logged exploration traffic against a known ground truth. */
class TrainerTest {

    private static final Ladder LADDER = new Ladder(18, new double[]{0, 2, 4, 6, 8, 10});
    private static final List<Double> COUPONS = List.of(0.0, 2.0, 4.0, 6.0, 8.0, 10.0);

    @TempDir
    static Path dir;
    static Path csv;

    /** An export-shaped file: features, coupon, level, outcome, user, time, and post-decision columns. */
    @BeforeAll
    static void writeLog() throws IOException {
        csv = dir.resolve("log.csv");
        SyntheticMarket market = SyntheticMarket.fullyObserved(LADDER, 31);
        long start = Instant.parse("2026-11-01T00:00:00Z").toEpochMilli();
        try (BufferedWriter w = Files.newBufferedWriter(csv)) {
            w.write("rides_30d,days_since_first_ride,avg_fare,hour,coupon,level,converted,userId,timestamp,revenue,"
                    + "price,propensity,group\n");
            for (int i = 0; i < 120_000; i++) {
                SyntheticMarket.Logged row = market.logged();
                float[] f = row.features();
                double price = LADDER.price(row.level());
                w.write(f[0] + "," + (Float.isNaN(f[1]) ? "" : f[1]) + "," + f[2] + "," + f[3] + "," + f[4] + ","
                        + row.level() + "," + (row.converted() ? 1 : 0) + ",u" + (i % 40_000) + ","
                        + Instant.ofEpochMilli(start + i * 20_000L) + "," + (row.converted() ? price : 0) + "," + price
                        + "," + (1.0 / 6) + ",exploration\n");
            }
        }
    }

    @Test
    void learnsTheTruthToWithinTwoPointsOfAucWithCalibratedMonotoneCurves() throws IOException {
        TrainingTable table = TrainingTable.read(csv, TrainingTable.Columns.defaults());
        assertThat(table.data().schema().names())
                .containsExactly("rides_30d", "days_since_first_ride", "avg_fare", "hour", "coupon");
        assertThat(table.refused()).contains("revenue", "price", "propensity", "group");

        Trainer.Options options = new Trainer.Options(400, 20, 4, 0.1, true, 1, 2, 0.2, Trainer.Split.TIME, COUPONS);
        Trainer.Result result = Trainer.train(table, options, "test");
        Map<String, Double> metrics = result.card().metrics();
        assertThat(metrics).containsKeys("auc", "logLoss", "pcoc", "nonMonotoneRawShare");
        assertThat(result.card().calibration()).hasSize(10);
        assertThat((Integer) result.card().parameters().get("rounds")).as("early stopping")
                .isLessThan(400);
        assertThat(metrics.get("nonMonotoneRawShare")).as("monotone constraint").isZero();

        // Held-out arrivals from the same market, never seen in training.
        SyntheticMarket fresh = SyntheticMarket.fullyObserved(LADDER, 777);
        TreeEnsemble model = TreeEnsemble.read(result.model().toJson(), table.data().schema());
        ConversionScorer scorer = new ConversionScorer(model, LADDER);
        int n = 60_000;
        double[] predicted = new double[n];
        double[] truth = new double[n];
        float[] label = new float[n];
        int nonMonotoneCalibrated = 0;
        for (int i = 0; i < n; i++) {
            SyntheticMarket.Logged row = fresh.logged();
            float[] features = row.features().clone();
            ConversionCurve curve = scorer.score(features);
            for (int j = 1; j < curve.size(); j++) {
                nonMonotoneCalibrated += curve.at(j) < curve.at(j - 1) ? 1 : 0;
            }
            predicted[i] = curve.at(row.level());
            truth[i] = row.truth();
            label[i] = row.converted() ? 1f : 0f;
        }
        double modelAuc = Evaluation.auc(predicted, label);
        double truthAuc = Evaluation.auc(truth, label);
        assertThat(modelAuc).as("model AUC %s vs ground truth AUC %s", modelAuc, truthAuc)
                .isGreaterThanOrEqualTo(truthAuc - 0.02);
        assertThat(Evaluation.pcoc(predicted, label)).isBetween(0.97, 1.03);
        assertThat(nonMonotoneCalibrated).isZero();
        result.model().close();
    }

    @Test
    void aUserSplitNeverPutsOneUserOnBothSides() throws IOException {
        TrainingTable table = TrainingTable.read(csv, TrainingTable.Columns.defaults());
        boolean[] validation = Trainer.validationRows(table, Trainer.Split.USER, 0.2);
        Map<String, Boolean> side = new HashMap<>();
        int valid = 0;
        for (int i = 0; i < validation.length; i++) {
            Boolean previous = side.putIfAbsent(table.users()[i], validation[i]);
            assertThat(previous == null || previous == validation[i]).as("user %s", table.users()[i]).isTrue();
            valid += validation[i] ? 1 : 0;
        }
        assertThat(valid / (double) validation.length).isBetween(0.17, 0.23);
    }

    @Test
    void aTimeSplitValidatesOnTheLatestRows() throws IOException {
        TrainingTable table = TrainingTable.read(csv, TrainingTable.Columns.defaults());
        boolean[] validation = Trainer.validationRows(table, Trainer.Split.TIME, 0.2);
        long latestTraining = Long.MIN_VALUE;
        long earliestValidation = Long.MAX_VALUE;
        for (int i = 0; i < validation.length; i++) {
            if (validation[i]) {
                earliestValidation = Math.min(earliestValidation, table.times()[i]);
            } else {
                latestTraining = Math.max(latestTraining, table.times()[i]);
            }
        }
        assertThat(earliestValidation).isGreaterThan(latestTraining);
    }

    @Test
    void fallsBackToAUserSplitWhenEveryRowSharesOneInstant() throws IOException {
        Path sameTime = dir.resolve("same-time.csv");
        SyntheticMarket market = SyntheticMarket.fullyObserved(LADDER, 5);
        StringBuilder csv = new StringBuilder("rides_30d,avg_fare,coupon,converted,userId,timestamp\n");
        for (int i = 0; i < 5_000; i++) {
            SyntheticMarket.Logged row = market.logged();
            csv.append(row.features()[0]).append(',').append(row.features()[2]).append(',').append(row.features()[4])
                    .append(',').append(row.converted() ? 1 : 0).append(",u").append(i % 900)
                    .append(",2026-11-23T10:00:00Z\n");
        }
        Files.writeString(sameTime, csv);
        TrainingTable table = TrainingTable.read(sameTime, TrainingTable.Columns.defaults());
        Trainer.Result auto = Trainer.train(table, new Trainer.Options(50, 5, 3, 0.2, true, 1, 1, 0.2, null, COUPONS),
                "test");
        assertThat(auto.card().parameters().get("split")).isEqualTo("user");
        auto.model().close();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Trainer.train(table,
                new Trainer.Options(50, 5, 3, 0.2, true, 1, 1, 0.2, Trainer.Split.TIME, COUPONS), "test"))
                .hasMessageContaining("TIME split left 0 training");
    }

    @Test
    void refusesAFileWithoutTheOutcomeOrWithATextCoupon() throws IOException {
        Path bad = dir.resolve("bad.csv");
        Files.writeString(bad, "coupon,x\n1,2\n");
        org.assertj.core.api.Assertions.assertThatThrownBy(
                () -> TrainingTable.read(bad, TrainingTable.Columns.defaults())).hasMessageContaining("converted");
        Files.writeString(bad, "coupon,city,converted\nfive,paris,0\n");
        org.assertj.core.api.Assertions.assertThatThrownBy(
                () -> TrainingTable.read(bad, TrainingTable.Columns.defaults()))
                .hasMessage(bad + ": coupon column coupon holds text (such as 'five'): it must be the coupon's value, a"
                        + " number");
    }

    @Test
    void refusesAPostOutcomeColumnTheDenyListDoesNotName() throws IOException {
        Path leaky = dir.resolve("leaky.csv");
        StringBuilder rows = new StringBuilder("coupon,rides_30d,checkout,converted\n");
        SplittableRandom random = new SplittableRandom(4);
        for (int i = 0; i < 500; i++) {
            boolean converted = random.nextDouble() < 0.4;
            rows.append(random.nextInt(6) * 2).append(',').append(random.nextInt(30)).append(',')
                    .append(converted ? "1.0" : "0.0").append(',').append(converted ? 1 : 0).append('\n');
        }
        Files.writeString(leaky, rows);
        org.assertj.core.api.Assertions.assertThatThrownBy(
                () -> TrainingTable.read(leaky, TrainingTable.Columns.defaults()))
                .hasMessage("feature checkout (AUC 1.000) predicts converted almost perfectly on its own: recorded"
                        + " after the outcome, not before the decision; add it to --deny");
        TrainingTable.Columns deny = TrainingTable.Columns.defaults();
        TrainingTable table = TrainingTable.read(leaky, new TrainingTable.Columns(deny.outcome(), deny.level(),
                deny.coupon(), deny.user(), deny.time(), java.util.Set.of("checkout")));
        assertThat(table.data().schema().names()).containsExactly("coupon", "rides_30d");
    }

    @Test
    void theCouponColumnNamedExplicitlyIsAFeatureEvenWhenDeniedByDefault() throws IOException {
        Path priced = dir.resolve("priced.csv");
        StringBuilder rows = new StringBuilder("price,rides_30d,converted\n");
        SplittableRandom random = new SplittableRandom(5);
        for (int i = 0; i < 200; i++) {
            rows.append(10 + random.nextInt(8)).append(',').append(random.nextInt(30)).append(',')
                    .append(random.nextInt(2)).append('\n');
        }
        Files.writeString(priced, rows);
        TrainingTable.Columns d = TrainingTable.Columns.defaults();
        TrainingTable table = TrainingTable.read(priced, new TrainingTable.Columns(d.outcome(), d.level(), "price",
                d.user(), d.time(), d.deny()));
        assertThat(table.data().schema().names()).contains("price");
        assertThat(table.refused()).doesNotContain("price");
    }

    @Test
    void columnsNamedLikeAnOutcomeAreNotFeaturesUnlessAllowed() throws IOException {
        Path logged = dir.resolve("outcomes.csv");
        StringBuilder rows = new StringBuilder("coupon,rides_30d,spend,Purchase,visit,converted\n");
        SplittableRandom random = new SplittableRandom(6);
        for (int i = 0; i < 200; i++) {
            int converted = random.nextInt(2);
            rows.append(random.nextInt(3)).append(',').append(random.nextInt(30)).append(',')
                    .append(converted * random.nextInt(40)).append(',').append(converted).append(',')
                    .append(random.nextInt(2)).append(',').append(converted).append('\n');
        }
        Files.writeString(logged, rows);
        TrainingTable table = TrainingTable.read(logged, TrainingTable.Columns.defaults());
        assertThat(table.data().schema().names()).as("names compared without case").containsExactly("coupon",
                "rides_30d");
        assertThat(table.refused()).containsExactly("spend", "Purchase", "visit");
        TrainingTable.Columns d = TrainingTable.Columns.defaults();
        java.util.Set<String> allowVisit = new java.util.HashSet<>(d.deny());
        allowVisit.remove("visit");
        assertThat(TrainingTable.read(logged, new TrainingTable.Columns(d.outcome(), d.level(), d.coupon(), d.user(),
                d.time(), allowVisit)).data().schema().names()).contains("visit");
    }

    @Test
    void trainsOnTextFeaturesAsEvaluateReadsThemAndListsTheirCodesInTheCard() throws IOException {
        Path logged = dir.resolve("channels.csv");
        StringBuilder rows = new StringBuilder("coupon,channel,rides_30d,converted,userId\n");
        SplittableRandom random = new SplittableRandom(7);
        String[] channels = {"web", "app", "phone"};
        for (int i = 0; i < 3_000; i++) {
            int channel = random.nextInt(3);
            int coupon = random.nextInt(3);
            boolean converted = random.nextDouble() < 0.1 + 0.2 * channel / 2.0 + 0.05 * coupon;
            rows.append(coupon).append(',').append(channels[channel]).append(',').append(random.nextInt(30))
                    .append(',').append(converted ? 1 : 0).append(",u").append(i).append('\n');
        }
        Files.writeString(logged, rows);
        TrainingTable table = TrainingTable.read(logged, TrainingTable.Columns.defaults());
        assertThat(table.encodings()).containsEntry("channel", Map.of("app", 0, "phone", 1, "web", 2));
        Trainer.Result result = Trainer.train(table, new Trainer.Options(50, 5, 3, 0.3, true, 1, 1, 0.2,
                Trainer.Split.USER, List.of(0.0, 1.0, 2.0)), "test", Boosting.QUIET);
        assertThat(result.card().parameters()).containsKey("encodings");
        assertThat(result.card().metrics().get("auc")).as("the channel carries the signal").isGreaterThan(0.6);
        result.model().close();
    }
}
