package dev.allot.evaluation;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Experiments generated with a known truth, one per kind of data a user brings: binary and continuous outcomes,
 * ordered and unordered arms, arms of equal cost, a cheapest arm that is not free. In each, the estimate's
 * interval covers the true value of the policy chosen, the policy is close to the best one the truth allows, and
 * targeting beats no targeting where the effects differ between units.
 */
class GeneratedExperimentsTest {

    @TempDir
    Path dir;

    /** Binary, a ladder whose cheapest arm costs 0.2: the costly arm helps high scores only. */
    static final GeneratedExperiment LADDER = new GeneratedExperiment(List.of("reminder", "coupon", "premium"),
            new double[]{0.2, 1, 3}, new double[]{0.4, 0.3, 0.3}, true,
            (s, arm) -> 0.15 + 0.2 * s + new double[]{0, 0.04, 0.30 * s * s}[arm]);

    /**
     * Spend, unordered arms: two e-mails of equal cost, one that works for low scores and one for high, and an
     * SMS that costs twice as much and helps everyone a little.
     */
    static final GeneratedExperiment EMAILS = new GeneratedExperiment(List.of("none", "email-a", "email-b", "sms"),
            new double[]{0, 1, 1, 2}, new double[]{0.25, 0.25, 0.25, 0.25}, false,
            (s, arm) -> 20 + 10 * s + new double[]{0, 12 * (1 - s), 12 * s, 3}[arm]);

    @Test
    void aBinaryLadderWithAPaidCheapestArmIsEstimatedWithinItsInterval() throws IOException {
        Result r = evaluate(LADDER, 40_000, 1, new PolicyEvaluation.Options(0.9, 0.5, 1, 200, 200, 3));
        assertThat(r.covers()).as(r.describe()).isTrue();
        assertThat(r.regret()).as(r.describe()).isLessThan(0.25 * r.optimalGainOverHull());
        assertThat(r.estimate("gainOverNonTargetedHull").low()).as(r.describe()).isPositive();
        assertThat((Double) r.report().get("policyCostPlanned")).isLessThanOrEqualTo(0.9 + 1e-9);
    }

    @Test
    void spendWithUnorderedEqualCostArmsIsTargetedByThePooledModel() throws IOException {
        Result r = evaluate(EMAILS, 40_000, 2, new PolicyEvaluation.Options(1, 0.5, 2, 200, 200, 3)
                .withModel(ArmModel.Kind.POOLED));
        assertThat(r.report().get("outcome")).isEqualTo("continuous");
        assertThat(r.covers()).as(r.describe()).isTrue();
        assertThat(r.regret()).as(r.describe()).isLessThan(0.25 * r.optimalGainOverHull());
        assertThat(r.estimate("gainOverNonTargetedHull").low()).as(r.describe()).isPositive();
        // Equal costs: the budget buys one e-mail each, and the policy sends each unit the one that works for it.
        @SuppressWarnings("unchecked")
        Map<String, Double> shares = (Map<String, Double>) r.report().get("policyArmShares");
        assertThat(shares.get("email-a")).isBetween(0.35, 0.65);
        assertThat(shares.get("email-b")).isBetween(0.35, 0.65);
    }

    @Test
    void spendOnALadderOfDiscountsIsEstimatedWithinItsInterval() throws IOException {
        // Spend under rising discounts (a cost per unit each): the deepest helps only high scores.
        GeneratedExperiment discounts = new GeneratedExperiment(List.of("none", "5-off", "10-off"),
                new double[]{0, 0.5, 1.5}, new double[]{0.4, 0.3, 0.3}, false,
                (s, arm) -> 20 + 10 * s + new double[]{0, 2, 12 * s * s}[arm]);
        Result r = evaluate(discounts, 40_000, 11, new PolicyEvaluation.Options(0.6, 0.5, 11, 200, 200, 3));
        assertThat(r.report().get("outcome")).isEqualTo("continuous");
        assertThat(r.covers()).as(r.describe()).isTrue();
        assertThat(r.regret()).as(r.describe()).isLessThan(0.25 * r.optimalGainOverHull());
    }

    @Test
    void spendWithOneModelPerArmIsEstimatedWithinItsInterval() throws IOException {
        Result r = evaluate(EMAILS, 40_000, 3, new PolicyEvaluation.Options(1.5, 0.5, 3, 200, 200, 3)
                .withModel(ArmModel.Kind.PER_ARM));
        assertThat(r.covers()).as(r.describe()).isTrue();
        assertThat(r.regret()).as(r.describe()).isLessThan(0.25 * r.optimalGainOverHull());
    }

    @Test
    void aBinaryOutcomeWithUnorderedArmsIsEstimatedWithinItsInterval() throws IOException {
        GeneratedExperiment letters = new GeneratedExperiment(List.of("none", "letter-a", "letter-b"),
                new double[]{0, 1, 1}, new double[]{1 / 3.0, 1 / 3.0, 1 / 3.0}, true,
                (s, arm) -> 0.2 + new double[]{0, 0.25 * (1 - s), 0.25 * s}[arm]);
        Result r = evaluate(letters, 30_000, 4, new PolicyEvaluation.Options(1, 0.5, 4, 200, 200, 3)
                .withModel(ArmModel.Kind.PER_ARM));
        assertThat(r.covers()).as(r.describe()).isTrue();
        assertThat(r.estimate("gainOverNonTargetedHull").low()).as(r.describe()).isPositive();
    }

    @Test
    void outcomeMinusCostNeedsNoBudgetAndSpendsOnlyWhereTheArmPaysForItself() throws IOException {
        GeneratedExperiment experiment = EMAILS;
        Path file = experiment.write(dir, "net", 40_000, 5, false);
        LoggedData data = LoggedCsv.read(file, experiment.spec());
        PolicyEvaluation.Options options = new PolicyEvaluation.Options(1, 0.5, 5, 200, 200, 3)
                .withModel(ArmModel.Kind.POOLED).withGoal(PolicyEvaluation.Goal.NET).withBudget(Double.POSITIVE_INFINITY);
        PolicyEvaluation.Plan plan = PolicyEvaluation.plan(data, options);
        Map<String, Object> report = PolicyEvaluation.report(data, plan, options);
        // The SMS adds 3 for a cost of 2 over nothing, but an e-mail adds up to 12 for 1: the SMS never pays.
        @SuppressWarnings("unchecked")
        Map<String, Double> shares = (Map<String, Double>) report.get("policyArmShares");
        assertThat(shares.get("sms")).isLessThan(0.05);
        double trueNet = experiment.valueOf(data, plan.evalIndex(), plan.arms()) - plannedCost(experiment, plan);
        PolicyEvaluation.Estimate net = (PolicyEvaluation.Estimate) report.get("policyNetValue");
        assertThat(net.covers(trueNet)).as("net %s, truth %s", net, trueNet).isTrue();
        assertThatThrownBy(() -> new PolicyEvaluation.Options(Double.POSITIVE_INFINITY, 0.5, 5, 200, 200, 3))
                .hasMessage("--budget is needed with --objective outcome: without one the policy gives everyone the"
                        + " arm with the highest predicted outcome, whatever it costs");
    }

    @Test
    void crossFittingEvaluatesEveryUnitAndStillCoversTheTruth() throws IOException {
        Path file = EMAILS.write(dir, "folds", 30_000, 9, false);
        LoggedData data = LoggedCsv.read(file, EMAILS.spec());
        PolicyEvaluation.Options split = new PolicyEvaluation.Options(1, 0.5, 9, 200, 200, 3)
                .withModel(ArmModel.Kind.PER_ARM);
        PolicyEvaluation.Options folds = split.withFolds(4);
        PolicyEvaluation.Plan plan = PolicyEvaluation.plan(data, folds);
        assertThat(plan.evalIndex()).hasSize(data.rows());
        Map<String, Object> report = PolicyEvaluation.report(data, plan, folds);
        PolicyEvaluation.Estimate value = (PolicyEvaluation.Estimate) report.get("policyValue");
        double truth = EMAILS.valueOf(data, plan.evalIndex(), plan.arms());
        assertThat(value.covers(truth)).as("%s vs %s", value, truth).isTrue();
        assertThat(((PolicyEvaluation.Estimate) report.get("gainOverNonTargetedHull")).low()).isPositive();
        // Every unit evaluated instead of half: a narrower interval than one split's on the same data.
        PolicyEvaluation.Estimate half = (PolicyEvaluation.Estimate) PolicyEvaluation.run(data, split)
                .get("policyValue");
        assertThat(value.high() - value.low()).isLessThan(half.high() - half.low());
        assertThatThrownBy(() -> split.withFolds(1))
                .hasMessage("--folds must be 0 (one split by --train-share) or 2 to 20, got 1");
    }

    @Test
    void couponsPaidOnlyOnPurchaseAreBudgetedByTheirExpectedCost() throws IOException {
        // A coupon ladder: the coupon is paid only when the customer buys, so a unit's cost is coupon x purchase.
        double[] coupons = {0, 2, 5};
        GeneratedExperiment.Truth buys = (s, arm) -> 0.2 + 0.1 * s + new double[]{0, 0.05, 0.4 * s * s}[arm];
        Path file = dir.resolve("paid-on-purchase.csv");
        java.util.SplittableRandom random = new java.util.SplittableRandom(10);
        StringBuilder rows = new StringBuilder("score,noise,arm,bought,paid\n");
        for (int i = 0; i < 40_000; i++) {
            int arm = random.nextInt(3);
            double score = random.nextDouble();
            boolean bought = random.nextDouble() < buys.mean(score, arm);
            rows.append((float) score).append(',').append((float) random.nextDouble()).append(",c").append(arm)
                    .append(',').append(bought ? 1 : 0).append(',').append(bought ? coupons[arm] : 0).append('\n');
        }
        Files.writeString(file, rows);
        LoggedData data = LoggedCsv.read(file, new LoggedCsv.Spec("arm", "bought", null, List.of("score", "noise"),
                List.of("c0", "c1", "c2"), null, null, new double[]{1 / 3.0, 1 / 3.0, 1 / 3.0}, "paid"));
        assertThat(data.costs()[0]).isZero();
        // 5 x (0.2 + 0.1 E[s] + 0.4 E[s^2]) = 5 x 0.3833
        assertThat(data.costs()[2]).as("mean cost of the 5-coupon: 5 x its purchase rate")
                .isCloseTo(1.917, org.assertj.core.api.Assertions.within(0.08));
        double budget = 0.8;
        PolicyEvaluation.Options options = new PolicyEvaluation.Options(budget, 0.5, 10, 200, 200, 3);
        PolicyEvaluation.Plan plan = PolicyEvaluation.plan(data, options);
        Map<String, Object> report = PolicyEvaluation.report(data, plan, options);
        double trueCost = 0;
        double trueValue = 0;
        for (int e = 0; e < plan.evalIndex().length; e++) {
            double score = data.features()[plan.evalIndex()[e] * data.width()];
            double p = buys.mean(score, plan.arms()[e]);
            trueValue += p;
            trueCost += p * coupons[plan.arms()[e]];
        }
        trueValue /= plan.evalIndex().length;
        trueCost /= plan.evalIndex().length;
        PolicyEvaluation.Estimate cost = (PolicyEvaluation.Estimate) report.get("policyCostIpw");
        PolicyEvaluation.Estimate value = (PolicyEvaluation.Estimate) report.get("policyValue");
        assertThat(cost.covers(trueCost)).as("cost %s, truth %s", cost, trueCost).isTrue();
        assertThat(trueCost).as("the expected spend of the chosen policy").isBetween(0.7, budget * 1.05);
        assertThat(value.covers(trueValue)).as("value %s, truth %s", value, trueValue).isTrue();
        // No targeting's truth at the budget: the 2-coupon to all (expected cost 0.6), the 5-coupon to a random
        // share. The policy spends the same on the customers the 5-coupon moves most.
        double[] armValue = new double[3];
        for (int e = 0; e < plan.evalIndex().length; e++) {
            double score = data.features()[plan.evalIndex()[e] * data.width()];
            for (int j = 0; j < 3; j++) {
                armValue[j] += buys.mean(score, j) / plan.evalIndex().length;
            }
        }
        double share = (budget - coupons[1] * armValue[1]) / (coupons[2] * armValue[2] - coupons[1] * armValue[1]);
        double noTargeting = (1 - share) * armValue[1] + share * armValue[2];
        assertThat(trueValue).as("the policy's truth against no targeting's").isGreaterThan(noTargeting);
        PolicyEvaluation.Estimate gain = (PolicyEvaluation.Estimate) report.get("gainOverNonTargetedHull");
        assertThat(gain.covers(trueValue - noTargeting)).as("gain %s, truth %s", gain, trueValue - noTargeting)
                .isTrue();
        assertThatThrownBy(() -> new LoggedCsv.Spec("arm", "bought", null, List.of("score"), List.of("c0", "c1", "c2"),
                new double[]{0, 2, 5}, null, new double[]{1 / 3.0, 1 / 3.0, 1 / 3.0}, "paid"))
                .hasMessage("give exactly one of --costs (per arm) and --cost-column (per unit)");
        assertThatThrownBy(() -> new LoggedCsv.Spec("arm", "bought", null, List.of("score", "paid"),
                List.of("c0", "c1", "c2"), null, null, new double[]{1 / 3.0, 1 / 3.0, 1 / 3.0}, "paid"))
                .hasMessage("--features names paid, the cost each unit incurred, known only after its arm");
    }

    @Test
    void theLadderRefusesArmsOfEqualCostAndNamesTheUnorderedModels() throws IOException {
        Path file = EMAILS.write(dir, "equal", 2_000, 6, false);
        LoggedData data = LoggedCsv.read(file, EMAILS.spec());
        assertThatThrownBy(() -> PolicyEvaluation.plan(data, new PolicyEvaluation.Options(1, 0.5, 1, 20, 20, 3)))
                .hasMessage("--model ladder needs --costs strictly increasing in --arms order (email-a 1.0, email-b"
                        + " 1.0): for arms without an order or with equal costs use --model pooled or --model per-arm");
    }

    @Test
    void theBudgetCurveComesFromOneFitAndRisesWithTheBudget() throws IOException {
        Path file = LADDER.write(dir, "curve", 20_000, 7, false);
        LoggedData data = LoggedCsv.read(file, LADDER.spec());
        PolicyEvaluation.Options options = new PolicyEvaluation.Options(0.9, 0.5, 7, 100, 200, 3)
                .withCurve(0.2, 0.5, 0.9, 1.5, 3);
        PolicyEvaluation.Plan plan = PolicyEvaluation.plan(data, options);
        @SuppressWarnings("unchecked")
        List<PolicyEvaluation.CurvePoint> curve = (List<PolicyEvaluation.CurvePoint>) PolicyEvaluation
                .report(data, plan, options).get("budgetCurve");
        assertThat(curve).extracting(PolicyEvaluation.CurvePoint::budget).containsExactly(0.2, 0.5, 0.9, 1.5, 3.0);
        for (PolicyEvaluation.CurvePoint p : curve) {
            assertThat(p.plannedCost()).isLessThanOrEqualTo(p.budget() + 1e-9);
            int[] arms = plan.allocation().at(p.budget()).arms();
            double truth = LADDER.valueOf(data, plan.evalIndex(), arms);
            assertThat(p.value().covers(truth)).as("budget %s: %s vs %s", p.budget(), p.value(), truth).isTrue();
        }
        assertThat(curve.get(0).value().value()).isLessThan(curve.get(2).value().value());
        assertThat(curve.get(2).value().value()).isLessThan(curve.get(4).value().value());
        // At the cheapest arm's cost there is nothing to target: the policy is that arm, as is no targeting.
        assertThat(curve.get(0).gainOverHull().value()).isZero();
    }

    private record Result(Map<String, Object> report, double truth, double optimal, double hullTruth,
                          double planned) {
        PolicyEvaluation.Estimate estimate(String key) {
            return (PolicyEvaluation.Estimate) report.get(key);
        }

        boolean covers() {
            return estimate("policyValue").covers(truth);
        }

        double regret() {
            return optimal - truth;
        }

        double optimalGainOverHull() {
            return optimal - hullTruth;
        }

        String describe() {
            return "estimate " + estimate("policyValue") + ", true value of the chosen policy " + truth
                    + ", of the best policy " + optimal + ", of no targeting " + hullTruth + ", gain over no"
                    + " targeting " + estimate("gainOverNonTargetedHull");
        }
    }

    private Result evaluate(GeneratedExperiment experiment, int rows, long seed, PolicyEvaluation.Options options)
            throws IOException {
        Path file = experiment.write(dir, "experiment-" + seed, rows, seed, false);
        LoggedData data = LoggedCsv.read(file, experiment.spec());
        assertThat(data.binaryOutcome()).isEqualTo(experiment.binary());
        PolicyEvaluation.Plan plan = PolicyEvaluation.plan(data, options);
        Map<String, Object> report = PolicyEvaluation.report(data, plan, options);
        double truth = experiment.valueOf(data, plan.evalIndex(), plan.arms());
        double optimal = experiment.valueOf(data, plan.evalIndex(),
                experiment.optimal(data, plan.evalIndex(), options.budget(), false));
        // No targeting's truth: the hull of the arms' true means at the budget.
        int k = experiment.arms().size();
        double[] means = new double[k];
        for (int j = 0; j < k; j++) {
            int[] all = new int[plan.evalIndex().length];
            java.util.Arrays.fill(all, j);
            means[j] = experiment.valueOf(data, plan.evalIndex(), all);
        }
        double hull = Double.NEGATIVE_INFINITY;
        double[] c = experiment.costs();
        for (int a = 0; a < k; a++) {
            if (c[a] <= options.budget()) {
                hull = Math.max(hull, means[a]);
            }
            for (int b = 0; b < k; b++) {
                if (c[a] < options.budget() && options.budget() < c[b]) {
                    double q = (options.budget() - c[a]) / (c[b] - c[a]);
                    hull = Math.max(hull, (1 - q) * means[a] + q * means[b]);
                }
            }
        }
        return new Result(report, truth, optimal, hull, plan.policy().plannedCost());
    }

    private static double plannedCost(GeneratedExperiment experiment, PolicyEvaluation.Plan plan) {
        double sum = 0;
        for (int arm : plan.arms()) {
            sum += experiment.costs()[arm];
        }
        return sum / plan.arms().length;
    }

    @Test
    void writesTheReportDirectory() throws IOException {
        Path file = EMAILS.write(dir, "report", 8_000, 8, false);
        LoggedData data = LoggedCsv.read(file, EMAILS.spec());
        PolicyEvaluation.Options options = new PolicyEvaluation.Options(1, 0.5, 8, 50, 100, 3)
                .withModel(ArmModel.Kind.POOLED);
        PolicyEvaluation.Plan plan = PolicyEvaluation.plan(data, options);
        Map<String, Object> report = PolicyEvaluation.report(data, plan, options);
        EvaluationReport view = new EvaluationReport(data, plan, report);
        String summary = view.summary("report.csv", 1234);
        Path out = dir.resolve("out");
        view.write(out, summary, "{}");
        assertThat(out.resolve("report.md")).content().contains("## Budget curve").contains("budget-curve.svg");
        assertThat(Files.readAllLines(out.resolve("assignment.csv"))).hasSize(plan.evalIndex().length + 1)
                .first().isEqualTo("row,cluster,logged_arm,policy_arm,predicted_none,predicted_email-a,"
                        + "predicted_email-b,predicted_sms");
        assertThat(Files.readAllLines(out.resolve("budget-curve.csv"))).hasSize(12);
        assertThat(Files.readAllLines(out.resolve("qini.csv"))).hasSize(1 + 3 * 21);
        assertThat(out.resolve("budget-curve.svg")).content().startsWith("<svg").contains("<polyline").endsWith(
                "</svg>\n");
        assertThat(out.resolve("qini.svg")).content().contains("email-a, at random");
        // Spend is not a rate: no percentages.
        assertThat(summary).doesNotContain("%]").contains("| policy outcome |");
    }
}
