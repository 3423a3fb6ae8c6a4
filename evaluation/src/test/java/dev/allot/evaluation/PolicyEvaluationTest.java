package dev.allot.evaluation;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * A randomized experiment with known effects: the expensive arm helps only units with a high score, so a
 * targeted policy beats any single arm at the same cost, and the IPW estimate must find the truth.
 */
class PolicyEvaluationTest {

    static final List<String> ARMS = List.of("control", "letter", "call", "visit");
    static final double[] COSTS = {0, 1, 10, 20};
    static final double[] PROPENSITIES = {0.4, 0.2, 0.2, 0.2};

    @TempDir
    static Path dir;
    static Path file;

    static double truth(double score, int arm) {
        double[] effect = {0, 0.02, 0.12 * score, 0.30 * score * score};
        return 0.25 + 0.2 * score + effect[arm];
    }

    @BeforeAll
    static void writeExperiment() throws IOException {
        file = dir.resolve("experiment.csv.gz");
        SplittableRandom random = new SplittableRandom(3);
        try (Writer w = new OutputStreamWriter(new GZIPOutputStream(Files.newOutputStream(file)), StandardCharsets.UTF_8)) {
            w.write("\"household\",\"score\",\"noise\",\"kind\",\"arm\",\"outcome\"\n");
            for (int h = 0; h < 40_000; h++) {
                int arm = pick(random.nextDouble());
                for (int member = 0; member < 2; member++) {
                    double score = random.nextDouble();
                    boolean outcome = random.nextDouble() < truth(score, arm);
                    w.write(h + "," + score + "," + random.nextDouble() + ",\"" + (h % 3 == 0 ? "a" : "b") + "\",\" "
                            + ARMS.get(arm) + "\",\"" + (outcome ? "Yes" : "No") + "\"\n");
                }
            }
        }
    }

    static int pick(double u) {
        double acc = 0;
        for (int j = 0; j < PROPENSITIES.length; j++) {
            acc += PROPENSITIES[j];
            if (u < acc) {
                return j;
            }
        }
        return PROPENSITIES.length - 1;
    }

    static LoggedCsv.Spec spec() {
        return new LoggedCsv.Spec("arm", "outcome", "household", List.of("score", "noise", "kind"), ARMS, COSTS, null,
                PROPENSITIES);
    }

    @Test
    void readsQuotedGzippedDataWithClustersAndEncodings() throws IOException {
        LoggedData data = LoggedCsv.read(file, spec());
        assertThat(data.rows()).isEqualTo(80_000);
        assertThat(data.clusterNames()).hasSize(40_000);
        assertThat(data.encodings()).containsEntry("kind", Map.of("a", 0, "b", 1));
        // Arms are assigned per household: both members share it.
        assertThat(data.arm()[0]).isEqualTo(data.arm()[1]);
        assertThat(data.propensity()[0]).isEqualTo(PROPENSITIES[data.arm()[0]]);
    }

    @Test
    void targetingBeatsEverySingleArmAtEqualCostAndTheEstimateCoversTheTruth() throws IOException {
        LoggedData data = LoggedCsv.read(file, spec());
        Map<String, Object> report = PolicyEvaluation.run(data, new PolicyEvaluation.Options(5, 0.5, 1, 200, 200, 3));
        PolicyEvaluation.Estimate value = (PolicyEvaluation.Estimate) report.get("policyValue");
        PolicyEvaluation.Estimate gain = (PolicyEvaluation.Estimate) report.get("gainOverBestSingleArmAtEqualCost");
        assertThat((Double) report.get("policyCostPlanned")).isLessThanOrEqualTo(5.0 + 1e-9).isGreaterThan(4.5);
        assertThat(gain.low()).as("gain %s", gain).isPositive();

        PolicyEvaluation.Plan plan = PolicyEvaluation.plan(data, new PolicyEvaluation.Options(5, 0.5, 1, 200, 200, 3));
        double truthOfPolicy = 0;
        for (int e = 0; e < plan.evalIndex().length; e++) {
            double score = data.features()[plan.evalIndex()[e] * data.width()];
            truthOfPolicy += truth(score, plan.arms()[e]);
        }
        truthOfPolicy /= plan.evalIndex().length;
        assertThat(truthOfPolicy).as("true value of the chosen policy vs estimate %s", value)
                .isBetween(value.low(), value.high());
        @SuppressWarnings("unchecked")
        Map<String, Double> shares = (Map<String, Double>) report.get("policyArmShares");
        assertThat(shares.get("visit")).as("the expensive arm goes to a targeted minority").isBetween(0.05, 0.3);
    }

    @Test
    void theEqualCostMixCostsTheBudgetWhenTheCheapestArmIsNotFree() {
        double q = PolicyEvaluation.equalCostShare(0.35, 0.2, 0.6);
        assertThat(q).isCloseTo(0.375, within(1e-12));
        assertThat((1 - q) * 0.2 + q * 0.6).as("the mix's average cost").isCloseTo(0.35, within(1e-12));
        SplittableRandom random = new SplittableRandom(5);
        for (int i = 0; i < 1_000; i++) {
            double cheapest = random.nextDouble();
            double cost = cheapest + random.nextDouble();
            double budget = cheapest + random.nextDouble() * (cost - cheapest);
            double share = PolicyEvaluation.equalCostShare(budget, cheapest, cost);
            assertThat((1 - share) * cheapest + share * cost).isCloseTo(budget, within(1e-9));
        }
    }

    @Test
    void theEqualCostMixStaysWithinItsArmsOutsideTheirCosts() {
        assertThat(PolicyEvaluation.equalCostShare(5, 0, 10)).as("a free cheapest arm: B / c").isEqualTo(0.5);
        assertThat(PolicyEvaluation.equalCostShare(30, 0, 10)).as("a budget above the arm's cost").isEqualTo(1);
        assertThat(PolicyEvaluation.equalCostShare(0.1, 0.2, 0.6)).as("a budget below the cheapest arm").isZero();
        assertThat(PolicyEvaluation.equalCostShare(0.5, 0.5, 0.5)).as("an arm as cheap as the cheapest").isEqualTo(1);
    }

    @Test
    void refusesPropensitiesThatDoNotSumToOne() {
        assertThatThrownBy(() -> new LoggedCsv.Spec("arm", "outcome", "household", List.of("score"), ARMS, COSTS,
                null, new double[]{0.4, 0.35, 0.25, 0.25}))
                .hasMessage("--propensities sum to 1.25 over the 4 arms: the logging probabilities of the arms must"
                        + " sum to 1");
        assertThatThrownBy(() -> new LoggedCsv.Spec("arm", "outcome", "household", List.of("score"), ARMS, COSTS,
                null, new double[]{1.0, 0.0, 0.0, 0.0}))
                .hasMessage("--propensities: the probability of arm letter must be in (0, 1], got 0.0");
        assertThat(new LoggedCsv.Spec("arm", "outcome", "household", List.of("score"), List.of("a", "b", "c"),
                new double[]{0, 1, 2}, null, new double[]{0.33, 0.33, 0.33}).propensities())
                .as("rounded thirds pass").hasSize(3);
    }

    @Test
    void refusesABudgetBelowTheCheapestArm() throws IOException {
        LoggedData data = LoggedCsv.read(file, spec());
        LoggedData paid = new LoggedData(data.featureNames(), data.features(), data.arms(),
                new double[]{0.5, 1, 10, 20}, data.arm(), data.outcome(), data.propensity(), data.clusterIds(),
                data.clusterNames(), data.encodings(), data.binaryOutcome(), null);
        assertThatThrownBy(() -> PolicyEvaluation.run(paid, new PolicyEvaluation.Options(0.2, 0.5, 1, 200, 20, 3)))
                .hasMessage("budget 0.2 is below the cost of the cheapest arm, control (0.5): no policy can stay"
                        + " within it");
    }

    @Test
    void refusesTheOutcomeTheTreatmentThePropensityOrTheClusterAsAFeature() {
        assertThatThrownBy(() -> new LoggedCsv.Spec("arm", "outcome", "household", List.of("score", "outcome"), ARMS,
                COSTS, null, PROPENSITIES))
                .hasMessage("--features names outcome, the outcome: the policy would see what it is judged on");
        assertThatThrownBy(() -> new LoggedCsv.Spec("arm", "outcome", "household", List.of("arm"), ARMS, COSTS, null,
                PROPENSITIES))
                .hasMessage("--features names arm, the treatment: the policy would see what it is choosing");
        assertThatThrownBy(() -> new LoggedCsv.Spec("arm", "outcome", "household", List.of("p"), ARMS, COSTS, "p",
                null))
                .hasMessage("--features names p, the logging propensity, a property of the experiment, not of the"
                        + " unit");
        assertThatThrownBy(() -> new LoggedCsv.Spec("arm", "outcome", "household", List.of("household"), ARMS, COSTS,
                null, PROPENSITIES))
                .hasMessage("--features names household, the cluster, an identifier: a model would memorise units"
                        + " instead of learning from their features");
    }

    @Test
    void withoutAClusterColumnEachRowIsItsOwnUnit() throws IOException {
        LoggedData data = LoggedCsv.read(file, new LoggedCsv.Spec("arm", "outcome", null, List.of("score"), ARMS,
                COSTS, null, PROPENSITIES));
        assertThat(data.clusterNames()).hasSize(data.rows()).doesNotHaveDuplicates();
    }

    @Test
    void refusesAFeatureThatGivesTheOutcomeAway() throws IOException {
        Path leaky = dir.resolve("leaky.csv");
        StringBuilder rows = new StringBuilder("arm,score,spend,outcome\n");
        SplittableRandom random = new SplittableRandom(8);
        for (int i = 0; i < 400; i++) {
            boolean outcome = random.nextDouble() < 0.3;
            rows.append(ARMS.get(pick(random.nextDouble()))).append(',').append(random.nextDouble()).append(',')
                    .append(outcome ? 20 + random.nextInt(50) : 0).append(',').append(outcome ? "1.0" : "0.0")
                    .append('\n');
        }
        Files.writeString(leaky, rows);
        assertThatThrownBy(() -> LoggedCsv.read(leaky, new LoggedCsv.Spec("arm", "outcome", null,
                List.of("score", "spend"), ARMS, COSTS, null, PROPENSITIES)))
                .hasMessage("feature spend (AUC 1.000) predicts outcome almost perfectly on its own: recorded after"
                        + " the outcome, not before the decision; leave it out of --features");
    }

    @Test
    void codesTextCategoriesInLexicalOrderAndRefusesAColumnMixingNumbersAndText() throws IOException {
        Path ordinal = dir.resolve("ordinal.csv");
        Files.writeString(ordinal, "arm,band,outcome\ncontrol,3_high,1\nletter,1_low,0\ncall,2_mid,1\nvisit,,0\n"
                + "control,1_low,1\n");
        LoggedData data = LoggedCsv.read(ordinal, new LoggedCsv.Spec("arm", "outcome", null, List.of("band"), ARMS,
                COSTS, null, PROPENSITIES));
        assertThat(data.encodings().get("band")).containsExactly(Map.entry("1_low", 0), Map.entry("2_mid", 1),
                Map.entry("3_high", 2));
        assertThat(data.features()).containsExactly(2f, 0f, 1f, Float.NaN, 0f);

        Files.writeString(ordinal, "arm,band,outcome\ncontrol,3,1\nletter,low,0\ncall,2,1\n");
        assertThatThrownBy(() -> LoggedCsv.read(ordinal, new LoggedCsv.Spec("arm", "outcome", null, List.of("band"),
                ARMS, COSTS, null, PROPENSITIES)))
                .hasMessage("--features column band holds both numbers and text (such as 'low'): give it one kind");
    }

    @Test
    void namesTheLineOfAnUnknownArm() throws IOException {
        Path bad = dir.resolve("bad.csv");
        Files.writeString(bad, "household,score,noise,kind,arm,outcome\n1,0.5,0.1,a,control,Yes\n2,0.5,0.1,a,fax,No\n");
        assertThatThrownBy(() -> LoggedCsv.read(bad, spec())).hasMessageContaining("bad.csv:3")
                .hasMessageContaining("fax");
        assertThatThrownBy(() -> LoggedCsv.read(bad, new LoggedCsv.Spec("arm", "outcome", "household",
                List.of("missing"), ARMS, COSTS, null, PROPENSITIES))).hasMessageContaining("no column 'missing'");
    }

    @Test
    void refusesPropensitiesThatAreNotHowTheArmsWereAssigned() throws IOException {
        Path skewed = dir.resolve("skewed.csv");
        StringBuilder rows = new StringBuilder("arm,score,outcome\n");
        for (int i = 0; i < 1_000; i++) {
            rows.append(i % 5 == 0 ? "letter" : "control").append(',').append(i % 7).append(',').append(i % 2)
                    .append('\n');
        }
        Files.writeString(skewed, rows);
        // Four in five units got control: logged 50/50 propensities weigh control's units to 1.6 per unit.
        assertThatThrownBy(() -> LoggedCsv.read(skewed, new LoggedCsv.Spec("arm", "outcome", null, List.of("score"),
                List.of("control", "letter"), new double[]{0, 1}, null, new double[]{0.5, 0.5})))
                .hasMessage("arm control: units logged with it, each weighted by 1/propensity, average 1.600 per unit"
                        + " where 1 is expected (± 0.126): the propensities (--propensities) are not the"
                        + " probabilities the arms were assigned with");
        assertThat(LoggedCsv.read(skewed, new LoggedCsv.Spec("arm", "outcome", null, List.of("score"),
                List.of("control", "letter"), new double[]{0, 1}, null, new double[]{0.8, 0.2})).rows())
                .as("the design's own propensities pass").isEqualTo(1_000);
    }

    @Test
    void repeatsCombineByTheMedianAndWidenByTheirSpread() {
        List<Map<String, Object>> reports = List.of(
                Map.of("policyValue", new PolicyEvaluation.Estimate(1, 0.9, 1.1)),
                Map.of("policyValue", new PolicyEvaluation.Estimate(2, 1.9, 2.1)),
                Map.of("policyValue", new PolicyEvaluation.Estimate(3, 2.9, 3.1)));
        Map<String, Object> combined = PolicyEvaluation.repeated(reports);
        @SuppressWarnings("unchecked")
        PolicyEvaluation.Estimate e = (PolicyEvaluation.Estimate) ((Map<String, Object>) combined.get("policyValue"))
                .get("estimate");
        // Each repeat's bootstrap SE is 0.2 / 3.92; the outer two sit 1 from the median: the median variance is
        // 1 + SE^2, so the half-width is 1.96 x sqrt(1.0026), far wider than any one repeat's 0.1.
        double half = 1.959964 * Math.sqrt(1 + Math.pow(0.2 / (2 * 1.959964), 2));
        assertThat(e.value()).isEqualTo(2);
        assertThat(e.low()).isCloseTo(2 - half, within(1e-12));
        assertThat(e.high()).isCloseTo(2 + half, within(1e-12));
        assertThat(combined).doesNotContainKey("gainOverNonTargetedHull").containsEntry("repeats", 3);
    }

    @Test
    void refusesAFileWhereAnArmNeverAppears() throws IOException {
        Path three = dir.resolve("three-arms.csv");
        Files.writeString(three, "arm,score,outcome\ncontrol,1,0\nletter,2,1\ncall,3,0\n");
        assertThatThrownBy(() -> LoggedCsv.read(three, new LoggedCsv.Spec("arm", "outcome", null, List.of("score"),
                ARMS, COSTS, null, PROPENSITIES)))
                .hasMessage(three + ": no row has arm visit (--arms [control, letter, call, visit]): a randomized"
                        + " experiment logs every arm");
    }
}
