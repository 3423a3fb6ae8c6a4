package dev.allot.evaluation;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What {@code allot evaluate} shows: a summary for the terminal, and with {@code --out} a directory a data
 * scientist can hand on: {@code report.md} (the summary with the plots), {@code arms.csv},
 * {@code budget-curve.csv}, {@code qini.csv}, {@code assignment.csv} (every evaluation unit's logged arm, the
 * policy's arm and the predicted outcome under each arm) and the budget curve and Qini plots as SVG. Numbers are
 * rounded to what their interval justifies: two significant digits of the interval's half-width. Binary
 * outcomes read as percentages, their differences as percentage points.
 */
public final class EvaluationReport {

    private static final Map<String, String> LABELS = Map.of("policyValue", "policy outcome", "policyCostIpw",
            "policy cost, IPW", "gainOverNonTargetedHull", "gain over no targeting", "gainOverBestSingleArmAtEqualCost",
            "gain over the best arm mixed with the cheapest", "gainOverBestSingleArm",
            "gain over the best arm for everyone");

    private final LoggedData data;
    private final PolicyEvaluation.Plan plan;
    private final Map<String, Object> report;
    private final double scale;
    private final String unit;

    public EvaluationReport(LoggedData data, PolicyEvaluation.Plan plan, Map<String, Object> report) {
        this.data = data;
        this.plan = plan;
        this.report = report;
        this.scale = data.binaryOutcome() ? 100 : 1;
        this.unit = data.binaryOutcome() ? "%" : "";
    }

    /** The summary, as Markdown (which also reads well as plain text). */
    public String summary(String source, long elapsedMillis) {
        StringBuilder s = new StringBuilder();
        @SuppressWarnings("unchecked")
        Map<String, Object> units = (Map<String, Object>) report.get("units");
        @SuppressWarnings("unchecked")
        Map<String, Object> model = (Map<String, Object>) report.get("model");
        s.append("# allot evaluate: ").append(source).append("\n\n");
        String training = model.containsKey("folds")
                ? String.format(Locale.ROOT, "cross-fitted in %d folds (each unit chosen for by a model that never saw"
                + " it)", (Integer) model.get("folds"))
                : String.format(Locale.ROOT, "trained on %,d", (Integer) units.get("train"));
        s.append(String.format(Locale.ROOT, "%,d rows; %s, evaluated on %,d in %,d clusters; %s outcome, %s model,"
                        + " objective %s; %d bootstrap replicates; %.1f s.%n%n", data.rows(), training,
                units.get("evaluation"), report.get("evaluationClusters"), report.get("outcome"), model.get("kind"),
                report.get("objective"), report.get("bootstrapReplicates"), elapsedMillis / 1000.0));
        Object budget = report.get("budget");
        s.append("## The policy").append(budget == null ? " (no budget)" : " at a budget of " + budget + " a unit")
                .append("\n\n");
        s.append("| | value | 95% interval |\n| --- | ---: | --- |\n");
        row(s, "policy outcome", est("policyValue"), false);
        s.append(String.format(Locale.ROOT, "| policy cost, planned | %s | |%n", plain((Double) report.get(
                "policyCostPlanned"), est("policyCostIpw"))));
        costRow(s, "policy cost, IPW", est("policyCostIpw"));
        if (report.containsKey("policyNetValue")) {
            costRow(s, "policy outcome minus cost", est("policyNetValue"));
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> hull = (Map<String, Object>) report.get("nonTargetedHull");
        row(s, "no targeting, same cost: " + hull.get("mix"), (PolicyEvaluation.Estimate) hull.get("outcomeRate"),
                false);
        row(s, "**gain over no targeting**", est("gainOverNonTargetedHull"), true);
        if (report.containsKey("bestSingleArmAtEqualCost")) {
            row(s, "gain over the best single arm mixed with the cheapest at the same cost ("
                    + report.get("bestSingleArmAtEqualCost") + ")", est("gainOverBestSingleArmAtEqualCost"), true);
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> best = (Map<String, Object>) report.get("bestSingleArm");
        row(s, "gain over the best single arm for everyone (" + best.get("arm") + ", cost " + best.get("cost") + ")",
                est("gainOverBestSingleArm"), true);
        if (report.containsKey("outcomePerExtraCost")) {
            row(s, "outcome gained per unit of cost above the cheapest arm", est("outcomePerExtraCost"), true);
        }
        s.append("\nArms the policy gives: ");
        @SuppressWarnings("unchecked")
        Map<String, Double> shares = (Map<String, Double>) report.get("policyArmShares");
        List<String> parts = new ArrayList<>();
        shares.forEach((arm, share) -> parts.add(String.format(Locale.ROOT, "%s %.1f%%", arm, 100 * share)));
        s.append(String.join(", ", parts)).append(String.format(Locale.ROOT, "; λ = %.4g.%n%n",
                (Double) report.get("lambda")));

        if (report.get("repeated") instanceof Map<?, ?> repeated) {
            s.append(String.format(Locale.ROOT, "## Over %s repeats (seeds %d on; median, interval with the"
                    + " training's variance)%n%n| | median | 95%% interval | each repeat |%n| --- | ---: | --- | --- |%n",
                    repeated.get("repeats"), ((Number) report.getOrDefault("seed", 1L)).longValue()));
            for (String key : PolicyEvaluation.REPEATED) {
                if (repeated.get(key) instanceof Map<?, ?> r) {
                    PolicyEvaluation.Estimate e = (PolicyEvaluation.Estimate) r.get("estimate");
                    boolean difference = key.startsWith("gain");
                    boolean cost = key.equals("policyCostIpw");
                    List<String> each = new ArrayList<>();
                    for (Object o : (List<?>) r.get("perRepeat")) {
                        PolicyEvaluation.Estimate one = (PolicyEvaluation.Estimate) o;
                        each.add(cost ? number(one.value(), decimals(e, 1), false) : value(one, difference));
                    }
                    s.append("| ").append(LABELS.getOrDefault(key, key)).append(" | ")
                            .append(cost ? number(e.value(), decimals(e, 1), false) : value(e, difference))
                            .append(" | ").append(cost ? "[" + number(e.low(), decimals(e, 1), false) + ", "
                                    + number(e.high(), decimals(e, 1), false) + "]" : interval(e, difference))
                            .append(" | ").append(String.join(", ", each)).append(" |\n");
                }
            }
            s.append("\n");
        }

        s.append("## Arms (logged)\n\n| arm | cost | outcome | 95% interval |\n| --- | ---: | ---: | --- |\n");
        @SuppressWarnings("unchecked")
        Map<String, Map<String, Object>> arms = (Map<String, Map<String, Object>>) report.get("arms");
        arms.forEach((arm, a) -> {
            PolicyEvaluation.Estimate e = (PolicyEvaluation.Estimate) a.get("outcomeRate");
            s.append("| ").append(md(arm)).append(" | ").append(a.get("cost")).append(" | ").append(value(e, false))
                    .append(" | ").append(interval(e, false)).append(" |\n");
        });

        s.append("\n## Budget curve (one fit)\n\n| budget | λ | planned cost | policy | no targeting | gain |\n"
                + "| ---: | ---: | ---: | --- | --- | --- |\n");
        for (PolicyEvaluation.CurvePoint p : curve()) {
            s.append(String.format(Locale.ROOT, "| %s | %.4g | %s | %s %s | %s %s | %s %s |%n", round(p.budget(), 4),
                    p.lambda(), round(p.plannedCost(), 4), value(p.value(), false), interval(p.value(), false),
                    value(p.hull(), false), interval(p.hull(), false), value(p.gainOverHull(), true),
                    interval(p.gainOverHull(), true)));
        }
        List<PolicyEvaluation.Qini> qini = qini();
        if (!qini.isEmpty()) {
            s.append("\n## Uplift (Qini) against ").append(qini.get(0).control())
                    .append(", units ranked by predicted uplift\n\n| arm | AUUC | Qini coefficient | gain treating the"
                            + " top 20% | gain treating all |\n| --- | --- | --- | --- | --- |\n");
            for (PolicyEvaluation.Qini q : qini) {
                PolicyEvaluation.Estimate top = q.gain()[q.gain().length / 5];
                PolicyEvaluation.Estimate all = q.gain()[q.gain().length - 1];
                s.append("| ").append(md(q.arm())).append(" | ").append(both(q.auuc())).append(" | ")
                        .append(both(q.coefficient())).append(" | ").append(both(top)).append(" | ").append(both(all))
                        .append(" |\n");
            }
        }
        return s.toString();
    }

    /** Writes report.md, report.json (given), the CSVs and the plots into {@code dir}. */
    public void write(Path dir, String summary, String json) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("report.md"), summary + "\n![budget curve](budget-curve.svg)\n"
                + (qini().isEmpty() ? "" : "\n![Qini curves](qini.svg)\n"), StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("report.json"), json, StandardCharsets.UTF_8);
        writeArms(dir.resolve("arms.csv"));
        writeCurve(dir.resolve("budget-curve.csv"));
        writeQini(dir.resolve("qini.csv"));
        writeAssignment(dir.resolve("assignment.csv"));
        Files.writeString(dir.resolve("budget-curve.svg"), budgetPlot(), StandardCharsets.UTF_8);
        if (!qini().isEmpty()) {
            Files.writeString(dir.resolve("qini.svg"), qiniPlot(), StandardCharsets.UTF_8);
        }
    }

    private void writeArms(Path file) throws IOException {
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            w.write("arm,cost,outcome,low,high,policy_share\n");
            @SuppressWarnings("unchecked")
            Map<String, Map<String, Object>> arms = (Map<String, Map<String, Object>>) report.get("arms");
            @SuppressWarnings("unchecked")
            Map<String, Double> shares = (Map<String, Double>) report.get("policyArmShares");
            for (Map.Entry<String, Map<String, Object>> a : arms.entrySet()) {
                PolicyEvaluation.Estimate e = (PolicyEvaluation.Estimate) a.getValue().get("outcomeRate");
                w.write(csv(a.getKey()) + "," + a.getValue().get("cost") + "," + e.value() + "," + e.low() + ","
                        + e.high() + "," + shares.get(a.getKey()) + "\n");
            }
        }
    }

    private void writeCurve(Path file) throws IOException {
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            w.write("budget,lambda,planned_cost,value,value_low,value_high,ipw_cost,ipw_cost_low,ipw_cost_high,"
                    + "no_targeting,no_targeting_low,no_targeting_high,gain,gain_low,gain_high,no_targeting_mix");
            for (String arm : data.arms()) {
                w.write("," + csv("share_" + arm));
            }
            w.write("\n");
            for (PolicyEvaluation.CurvePoint p : curve()) {
                w.write(p.budget() + "," + p.lambda() + "," + p.plannedCost() + "," + triple(p.value()) + ","
                        + triple(p.cost()) + "," + triple(p.hull()) + "," + triple(p.gainOverHull()) + ","
                        + csv(p.hullMix()));
                for (double share : p.shares()) {
                    w.write("," + share);
                }
                w.write("\n");
            }
        }
    }

    private void writeQini(Path file) throws IOException {
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            w.write("arm,control,share_treated,gain,gain_low,gain_high,random\n");
            for (PolicyEvaluation.Qini q : qini()) {
                double all = q.gain()[q.gain().length - 1].value();
                for (int g = 0; g < q.shares().length; g++) {
                    w.write(csv(q.arm()) + "," + csv(q.control()) + "," + q.shares()[g] + "," + triple(q.gain()[g])
                            + "," + q.shares()[g] * all + "\n");
                }
            }
        }
    }

    private void writeAssignment(Path file) throws IOException {
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            w.write("row,cluster,logged_arm,policy_arm");
            for (String arm : data.arms()) {
                w.write("," + csv("predicted_" + arm));
            }
            w.write("\n");
            int[] index = plan.evalIndex();
            int k = data.arms().size();
            StringBuilder line = new StringBuilder();
            for (int e = 0; e < index.length; e++) {
                int i = index[e];
                line.setLength(0);
                line.append(i + 1).append(',').append(csv(data.clusterNames().get(data.clusterIds()[i]))).append(',')
                        .append(csv(data.arms().get(data.arm()[i]))).append(',')
                        .append(csv(data.arms().get(plan.arms()[e])));
                for (int j = 0; j < k; j++) {
                    line.append(',').append((float) plan.predictions().at(e, j));
                }
                w.write(line.append('\n').toString());
            }
        }
    }

    /** Policy value and no targeting against the budget, with interval bands. */
    String budgetPlot() {
        List<PolicyEvaluation.CurvePoint> points = curve();
        Plot plot = new Plot("Outcome against budget (95% intervals)", "average cost per unit",
                data.binaryOutcome() ? "outcome (%)" : "outcome");
        List<double[]> policy = new ArrayList<>();
        List<double[]> hull = new ArrayList<>();
        for (PolicyEvaluation.CurvePoint p : points) {
            policy.add(new double[]{p.budget(), scale * p.value().value(), scale * p.value().low(),
                    scale * p.value().high()});
            hull.add(new double[]{p.budget(), scale * p.hull().value(), scale * p.hull().low(),
                    scale * p.hull().high()});
        }
        plot.series("policy (targeted)", "#1f77b4", policy);
        plot.series("no targeting (best random mix of arms)", "#7f7f7f", hull);
        return plot.svg();
    }

    /** Each arm's Qini curve and the random-targeting diagonal. */
    String qiniPlot() {
        Plot plot = new Plot("Uplift against " + qini().get(0).control() + " by share treated (95% intervals)",
                "share of units treated, ranked by predicted uplift", data.binaryOutcome() ? "gain (points)" : "gain");
        String[] colours = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2"};
        int c = 0;
        for (PolicyEvaluation.Qini q : qini()) {
            List<double[]> points = new ArrayList<>();
            for (int g = 0; g < q.shares().length; g++) {
                PolicyEvaluation.Estimate e = q.gain()[g];
                points.add(new double[]{q.shares()[g], scale * e.value(), scale * e.low(), scale * e.high()});
            }
            String colour = colours[c++ % colours.length];
            plot.series(q.arm(), colour, points);
            double all = scale * q.gain()[q.gain().length - 1].value();
            plot.line(q.arm() + ", at random", colour, List.of(new double[]{0, 0}, new double[]{1, all}));
        }
        return plot.svg();
    }

    @SuppressWarnings("unchecked")
    private List<PolicyEvaluation.CurvePoint> curve() {
        return (List<PolicyEvaluation.CurvePoint>) report.get("budgetCurve");
    }

    @SuppressWarnings("unchecked")
    private List<PolicyEvaluation.Qini> qini() {
        return (List<PolicyEvaluation.Qini>) report.getOrDefault("qini", List.of());
    }

    private PolicyEvaluation.Estimate est(String key) {
        return (PolicyEvaluation.Estimate) report.get(key);
    }

    /** Text in a Markdown table cell: a pipe would end the cell. */
    private static String md(String text) {
        return text.replace("|", "\\|");
    }

    private void row(StringBuilder s, String label, PolicyEvaluation.Estimate e, boolean difference) {
        s.append("| ").append(md(label)).append(" | ").append(value(e, difference)).append(" | ")
                .append(interval(e, difference)).append(" |\n");
    }

    /** A row in the units of cost: never a percentage. */
    private static void costRow(StringBuilder s, String label, PolicyEvaluation.Estimate e) {
        int d = decimals(e, 1);
        s.append("| ").append(label).append(" | ").append(number(e.value(), d, false)).append(" | [")
                .append(number(e.low(), d, false)).append(", ").append(number(e.high(), d, false)).append("] |\n");
    }

    private String plain(double value, PolicyEvaluation.Estimate like) {
        return number(value, decimals(like, 1), false);
    }

    private String value(PolicyEvaluation.Estimate e, boolean difference) {
        int d = decimals(e, scale);
        return number(scale * e.value(), d, difference) + (difference ? (unit.isEmpty() ? "" : " pts") : unit);
    }

    private String interval(PolicyEvaluation.Estimate e, boolean difference) {
        int d = decimals(e, scale);
        return "[" + number(scale * e.low(), d, difference) + ", " + number(scale * e.high(), d, difference) + "]";
    }

    private String both(PolicyEvaluation.Estimate e) {
        return value(e, true) + " " + interval(e, true);
    }

    /** Decimals that keep two significant digits of the interval's half-width. */
    static int decimals(PolicyEvaluation.Estimate e, double scale) {
        double half = scale * (e.high() - e.low()) / 2;
        if (!(half > 0) || !Double.isFinite(half)) {
            // No spread (a statistic every resample agrees on, such as the cheapest arm against itself).
            return 2;
        }
        return (int) Math.max(0, Math.min(8, 1 - Math.floor(Math.log10(half))));
    }

    private static String number(double v, int decimals, boolean signed) {
        String text = String.format(Locale.ROOT, "%." + decimals + "f", v);
        return signed && v >= 0 ? "+" + text : text;
    }

    private static String round(double v, int significant) {
        return new java.math.BigDecimal(v).round(new java.math.MathContext(significant)).stripTrailingZeros()
                .toPlainString();
    }

    private static String triple(PolicyEvaluation.Estimate e) {
        return e.value() + "," + e.low() + "," + e.high();
    }

    private static String csv(String text) {
        return text.contains(",") || text.contains("\"") || text.contains("\n") || text.contains("\r")
                ? '"' + text.replace("\"", "\"\"") + '"' : text;
    }
}
