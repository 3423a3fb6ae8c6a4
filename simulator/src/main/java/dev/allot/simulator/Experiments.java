package dev.allot.simulator;

import dev.allot.engine.Policy;
import dev.allot.scoring.TreeEnsemble;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The paper's experiments on a scenario: Table 1 (non-monotone curves against campaign coverage), Table 2
 * (a misspecified starting lambda, with and without PID), Table 5 (every strategy over simulated days), and
 * the figures. Results are values for tests and a Markdown report with SVG figures for people.
 */
public final class Experiments {

    public static final List<String> STRATEGIES = List.of("Random", "Manual", "Offline-IP", "LDM", "LDM-IR",
            "LDM-IR+PID", "Oracle");
    /** Offline-IP groups: a 45 x 45 grid, about the paper's 2,000. */
    static final int IP_GRID = 45;

    /** Table 1 row: share of predicted curves that are not monotone. */
    public record MonotoneRow(double coverage, double raw, double afterIsotonic, double monotoneModel) {
    }

    /** Table 2 row. */
    public record MisspecRow(double lambdaError, boolean pid, double differentPriceShare, double budgetDeviation,
                             double trueBudgetDeviation, double objectiveDeviation) {
    }

    /** Table 3/4 row: one method's offline solve on a population of a given size. */
    public record SolveRow(int customers, String method, double seconds, double objective, double usage,
                           String status) {
    }

    /** Table 5 row: means over days with 95% half-widths. */
    /**
     * @param lagrangianPerArrival revenue minus the oracle's lambda times budget usage, per exposed customer:
     *                             overspending is charged and unspent budget credited at the same marginal
     *                             price, so strategies that spend differently compare on one scale (the
     *                             oracle maximises it, so it stays the upper bound)
     */
    public record StrategyRow(String strategy, double cvr, double cvrHalf, double averagePrice, double priceHalf,
                              double priceDeviation, double revenuePerArrival, double revenueHalf,
                              double shareOfOracle, double lagrangianPerArrival, double lagrangianHalf,
                              double[] priceShares) {
    }

    private final Scenario scenario;
    private final Simulation simulation;
    private final StringBuilder log = new StringBuilder();
    private final Map<String, Map<String, Long>> ruleHits = new LinkedHashMap<>();

    public Experiments(Scenario scenario) {
        this.scenario = scenario;
        this.simulation = new Simulation(scenario);
    }

    public Simulation simulation() {
        return simulation;
    }

    /** After {@link #table5}: decisions each rule acted on over the evaluation days, by strategy, then rule. */
    public Map<String, Map<String, Long>> ruleHits() {
        return ruleHits;
    }

    public List<MonotoneRow> table1(double[] coverages, int arrivals) {
        List<MonotoneRow> rows = new ArrayList<>();
        for (double coverage : coverages) {
            Scenario s = scenario.withCampaignCoverage(coverage);
            Market market = new Market(s);
            Market.Day day = market.day(0);
            TreeEnsemble plain = Simulation.trainModel(s, false);
            TreeEnsemble monotone = Simulation.trainModel(s, true);
            int k = market.ladder().size();
            Market.Day sample = subsample(day, arrivals);
            Simulation.Curves a = Simulation.curves(sample, plain, market, k);
            Simulation.Curves b = Simulation.curves(sample, monotone, market, k);
            rows.add(new MonotoneRow(coverage, nonMonotone(a.raw(), sample.n(), k),
                    nonMonotone(a.calibrated(), sample.n(), k), nonMonotone(b.raw(), sample.n(), k)));
        }
        return rows;
    }

    /**
     * Table 2 on evaluation day 0, against the hindsight lambda of that day's (predicted) curves. Every row runs
     * the day through the engine with fresh state; the reference is the hindsight lambda held fixed.
     */
    public List<MisspecRow> table2(double[] errors, Simulation.Trace[] traces) {
        simulation.train(false);
        Market.Day day = simulation.market().day(0);
        Simulation.Curves curves = simulation.curves(day);
        boolean[] allowed = simulation.allowed(day, curves.calibrated());
        double reference = simulation.offlineLambda(curves.calibrated(), day.n(), allowed);
        record Run(double error, boolean pid) {
        }
        List<Run> runs = new ArrayList<>();
        runs.add(new Run(0, false));
        for (double error : errors) {
            runs.add(new Run(error, false));
            runs.add(new Run(error, true));
        }
        List<LiveRun.Result> results = runs.parallelStream().map(run -> new LiveRun(simulation).day(day, curves.raw(),
                curves.calibrated(), i -> Policy.BY_GROUP, reference * (1 + run.error()), run.pid())).toList();
        int[] best = results.get(0).levels();
        Simulation.Outcome ref = simulation.evaluate("reference", day, best, curves.truth(), curves.calibrated());
        List<MisspecRow> rows = new ArrayList<>();
        for (int r = 1; r < runs.size(); r++) {
            Run run = runs.get(r);
            int[] levels = results.get(r).levels();
            if (traces != null && run.error() == errors[errors.length - 1]) {
                traces[run.pid() ? 1 : 0] = run.pid() ? results.get(r).trace()
                        : fixedTrace(day, curves.calibrated(), levels, reference * (1 + run.error()));
            }
            Simulation.Outcome o = simulation.evaluate(run.pid() ? "pid" : "fixed", day, levels, curves.truth(),
                    curves.calibrated());
            int different = 0;
            for (int i = 0; i < day.n(); i++) {
                different += levels[i] != best[i] ? 1 : 0;
            }
            rows.add(new MisspecRow(run.error(), run.pid(), (double) different / day.n(),
                    o.predictedAveragePrice() / scenario.minAveragePrice() - 1,
                    o.averagePrice() / scenario.minAveragePrice() - 1, o.revenue() / ref.revenue() - 1));
        }
        return rows;
    }

    /**
     * Every strategy on every evaluation day, each arrival by arrival through the engine with the shipped rules
     * and its own state (coupon histories, running totals) carried from day to day; each day's offline inputs
     * come from the day before.
     */
    public List<StrategyRow> table5() {
        simulation.train(scenario.model().monotone());
        Market market = simulation.market();
        int k = market.ladder().size();
        Market.Day previous = market.day(-1);
        Simulation.Curves previousCurves = simulation.curves(previous);
        boolean[] previousAllowed = simulation.allowed(previous, previousCurves.calibrated());
        Map<String, List<Simulation.Outcome>> outcomes = new LinkedHashMap<>();
        Map<String, LiveRun> runs = new LinkedHashMap<>();
        STRATEGIES.forEach(s -> {
            outcomes.put(s, new ArrayList<>());
            runs.put(s, new LiveRun(simulation));
            ruleHits.put(s, new TreeMap<>());
        });
        // The day-ahead inputs of each day (each needs the day before) are planned on their own thread while the
        // strategies live through the days already planned; each strategy's week is one chain of days, and seven
        // chains on every core keep the cores busy until the last day.
        record DayInputs(Market.Day day, Simulation.Curves curves, double lambdaRaw, double lambdaIr,
                         double lambdaOracle, int[] manual, int[] ip) {
        }
        List<CompletableFuture<DayInputs>> planned = new ArrayList<>();
        for (int d = 0; d < scenario.evaluationDays(); d++) {
            planned.add(new CompletableFuture<>());
        }
        List<Double> oracleLambdas = new ArrayList<>();
        Market.Day firstPrevious = previous;
        Simulation.Curves firstPreviousCurves = previousCurves;
        boolean[] firstPreviousAllowed = previousAllowed;
        Thread planner = new Thread(() -> {
            Market.Day before = firstPrevious;
            Simulation.Curves beforeCurves = firstPreviousCurves;
            boolean[] beforeAllowed = firstPreviousAllowed;
            try {
                for (int d = 0; d < planned.size(); d++) {
                    Market.Day day = market.day(d);
                    Simulation.Curves curves = simulation.curves(day);
                    boolean[] allowed = simulation.allowed(day, curves.calibrated());
                    double lambdaRaw = simulation.offlineLambda(beforeCurves.raw(), before.n(), beforeAllowed);
                    double lambdaIr = simulation.offlineLambda(beforeCurves.calibrated(), before.n(), beforeAllowed);
                    int[] manual = simulation.manual(day, simulation.tuneManual(before, beforeCurves.calibrated()));
                    double lambdaOracle = simulation.offlineLambda(curves.truth(), day.n(), allowed);
                    oracleLambdas.add(lambdaOracle);
                    OfflineIp.Plan plan = OfflineIp.plan(simulation.pricing(), beforeCurves.calibrated(), before.n(),
                            IP_GRID, 60);
                    log.append(String.format(Locale.ROOT, "day %d (%s, %d arrivals): lambda LDM %.4f, LDM-IR %.4f,"
                            + " oracle %.4f; Offline-IP %d groups %s in %d ms%n", d, day.weekend() ? "weekend"
                            : "weekday", day.n(), lambdaRaw, lambdaIr, lambdaOracle, plan.groups(), plan.status(),
                            plan.solveMillis()));
                    planned.get(d).complete(new DayInputs(day, curves, lambdaRaw, lambdaIr, lambdaOracle, manual,
                            OfflineIp.apply(plan, curves.calibrated(), day.n(), k)));
                    before = day;
                    beforeCurves = curves;
                    beforeAllowed = allowed;
                }
            } catch (Throwable t) {
                planned.forEach(f -> f.completeExceptionally(t));
            }
        }, "day-ahead-planner");
        planner.setDaemon(true);
        planner.start();
        Map<String, Function<DayInputs, LiveRun.Result>> strategies = new LinkedHashMap<>();
        strategies.put("Random", in -> runs.get("Random").day(in.day(), in.curves().raw(), in.curves().calibrated(),
                i -> Policy.EXPLORE, in.lambdaIr(), false));
        strategies.put("Manual", in -> runs.get("Manual").day(in.day(), in.curves().raw(), in.curves().calibrated(),
                i -> Policy.planned(in.manual()[i]), in.lambdaIr(), false));
        strategies.put("Offline-IP", in -> runs.get("Offline-IP").day(in.day(), in.curves().raw(),
                in.curves().calibrated(), i -> Policy.planned(in.ip()[i]), in.lambdaIr(), false));
        strategies.put("LDM", in -> runs.get("LDM").day(in.day(), in.curves().raw(), in.curves().raw(),
                i -> Policy.BY_GROUP, in.lambdaRaw(), false));
        strategies.put("LDM-IR", in -> runs.get("LDM-IR").day(in.day(), in.curves().raw(), in.curves().calibrated(),
                i -> Policy.BY_GROUP, in.lambdaIr(), false));
        strategies.put("LDM-IR+PID", in -> runs.get("LDM-IR+PID").day(in.day(), in.curves().raw(),
                in.curves().calibrated(), i -> Policy.BY_GROUP, in.lambdaIr(), true));
        strategies.put("Oracle", in -> runs.get("Oracle").day(in.day(), in.curves().truth(), in.curves().truth(),
                i -> Policy.BY_GROUP, in.lambdaOracle(), false));
        Map<String, LiveRun.Result[]> results = new LinkedHashMap<>();
        AtomicLong liveNanos = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(Runtime.getRuntime().availableProcessors());
        try {
            List<CompletableFuture<?>> chains = new ArrayList<>();
            strategies.forEach((name, strategy) -> {
                LiveRun.Result[] week = new LiveRun.Result[planned.size()];
                results.put(name, week);
                CompletableFuture<?> chain = CompletableFuture.completedFuture(null);
                for (int d = 0; d < planned.size(); d++) {
                    int day = d;
                    chain = chain.thenCombineAsync(planned.get(d), (ignored, inputs) -> {
                        long started = System.nanoTime();
                        week[day] = strategy.apply(inputs);
                        liveNanos.addAndGet(System.nanoTime() - started);
                        return null;
                    }, pool);
                }
                chains.add(chain);
            });
            CompletableFuture.allOf(chains.toArray(CompletableFuture[]::new)).join();
        } finally {
            pool.shutdown();
            planner.interrupt();
        }
        List<DayInputs> days = planned.stream().map(CompletableFuture::join).toList();
        long decisions = days.stream().mapToLong(in -> in.day().n()).sum() * strategies.size();
        log.append(String.format(Locale.ROOT, "live path: %,d decisions through the engine, %.1f µs each on one core%n",
                decisions, liveNanos.get() / 1e3 / decisions));
        for (int d = 0; d < days.size(); d++) {
            DayInputs in = days.get(d);
            for (String name : STRATEGIES) {
                LiveRun.Result result = results.get(name)[d];
                result.ruleHits().forEach((rule, n) -> ruleHits.get(name).merge(rule, n, Long::sum));
                double[] predicted = switch (name) {
                    case "LDM" -> in.curves().raw();
                    case "Oracle" -> in.curves().truth();
                    default -> in.curves().calibrated();
                };
                outcomes.get(name).add(simulation.evaluate(name, in.day(), result.levels(), in.curves().truth(),
                        predicted));
            }
        }
        double oracleRevenue = mean(outcomes.get("Oracle").stream().mapToDouble(Simulation.Outcome::revenuePerArrival)
                .toArray());
        List<StrategyRow> rows = new ArrayList<>();
        for (String s : STRATEGIES) {
            List<Simulation.Outcome> os = outcomes.get(s);
            double[] cvr = os.stream().mapToDouble(Simulation.Outcome::conversionRate).toArray();
            double[] price = os.stream().mapToDouble(Simulation.Outcome::averagePrice).toArray();
            double[] revenue = os.stream().mapToDouble(Simulation.Outcome::revenuePerArrival).toArray();
            double[] lagrangian = new double[os.size()];
            for (int d = 0; d < os.size(); d++) {
                Simulation.Outcome o = os.get(d);
                lagrangian[d] = (o.revenue() - oracleLambdas.get(d) * o.usage()) / o.arrivals();
            }
            double[] shares = new double[k];
            long total = 0;
            for (Simulation.Outcome o : os) {
                for (int j = 0; j < k; j++) {
                    shares[j] += o.levelCounts()[j];
                    total += o.levelCounts()[j];
                }
            }
            for (int j = 0; j < k; j++) {
                shares[j] /= total;
            }
            rows.add(new StrategyRow(s, mean(cvr), half(cvr), mean(price), half(price),
                    mean(price) / scenario.minAveragePrice() - 1, mean(revenue), half(revenue),
                    mean(revenue) / oracleRevenue, mean(lagrangian), half(lagrangian), shares));
        }
        return rows;
    }

    /**
     * Tables 3/4: the day-ahead solve on one day's curves at each size, by the three methods. Curves are the
     * true ones (the comparison is of solvers, not of models); objectives are of the policy applied to every
     * customer of that day.
     */
    public List<SolveRow> table34(int[] sizes) {
        List<SolveRow> rows = new ArrayList<>();
        for (int size : sizes) {
            Market market = new Market(scenario.withCustomersPerDay(size));
            Market.Day day = market.day(0);
            double[] curves = market.trueCurves(day);
            int n = day.n();
            int k = market.ladder().size();
            Simulation sim = new Simulation(scenario.withCustomersPerDay(size));

            long t0 = System.nanoTime();
            OfflineIp.Plan plan = OfflineIp.plan(sim.pricing(), curves, n, IP_GRID, 600);
            int[] ip = OfflineIp.apply(plan, curves, n, k);
            rows.add(row(sim, size, "Offline-IP by group (OR-Tools SCIP, " + plan.groups() + " groups)", t0, curves,
                    ip, plan.status()));

            long t1 = System.nanoTime();
            int[] byGroup = ldmByGroup(sim, plan, curves, n, k);
            rows.add(row(sim, size, "LDM by group (" + plan.groups() + " groups)", t1, curves, byGroup, "exact"));

            long t2 = System.nanoTime();
            double lambda = sim.offlineLambda(curves, n, null);
            int[] byCustomer = sim.argmax(curves, n, lambda, null);
            rows.add(row(sim, size, "LDM by customer", t2, curves, byCustomer, "exact"));
            log.append(String.format(Locale.ROOT, "%d customers: lambda by customer %.6f%n", size, lambda));
        }
        return rows;
    }

    /** The dual solve on group-average curves weighted by group size; each group gets its argmax level. */
    private static int[] ldmByGroup(Simulation sim, OfflineIp.Plan plan, double[] curves, int n, int k) {
        int groups = plan.groups();
        double[] sum = new double[groups * k];
        long[] size = new long[groups];
        int[] groupOf = OfflineIp.groups(plan, curves, n, k);
        for (int i = 0; i < n; i++) {
            size[groupOf[i]]++;
            for (int j = 0; j < k; j++) {
                sum[groupOf[i] * k + j] += curves[i * k + j];
            }
        }
        // A group of m customers counts as m identical arrivals: replicate its mean curve by its size.
        int rows = 0;
        for (long s : size) {
            rows += s;
        }
        double[] replicated = new double[rows * k];
        int[] levelOfGroup = new int[groups];
        int r = 0;
        int[] firstRow = new int[groups];
        for (int g = 0; g < groups; g++) {
            firstRow[g] = r;
            for (long c = 0; c < size[g]; c++, r++) {
                for (int j = 0; j < k; j++) {
                    replicated[r * k + j] = sum[g * k + j] / size[g];
                }
            }
        }
        double lambda = sim.offlineLambda(replicated, rows, null);
        int[] chosen = sim.argmax(replicated, rows, lambda, null);
        for (int g = 0; g < groups; g++) {
            levelOfGroup[g] = size[g] == 0 ? 0 : chosen[firstRow[g]];
        }
        int[] levels = new int[n];
        for (int i = 0; i < n; i++) {
            levels[i] = levelOfGroup[groupOf[i]];
        }
        return levels;
    }

    private SolveRow row(Simulation sim, int size, String method, long startedNanos, double[] curves, int[] levels,
                         String status) {
        double seconds = (System.nanoTime() - startedNanos) / 1e9;
        int k = sim.market().ladder().size();
        double objective = 0;
        double usage = 0;
        for (int i = 0; i < levels.length; i++) {
            double r = curves[i * k + levels[i]];
            double price = sim.market().ladder().price(levels[i]);
            objective += sim.pricing().objective().value(r, price, 0);
            usage += sim.pricing().constraint().cost(r, price, sim.market().ladder().coupon(levels[i]));
        }
        return new SolveRow(size, method, seconds, objective, usage, status);
    }

    public static String solveTable(List<SolveRow> rows) {
        StringBuilder md = new StringBuilder("| customers | method | solve time | objective (revenue) | budget usage"
                + " (≤ 0 within budget) | status |\n|---|---|---|---|---|---|\n");
        for (SolveRow r : rows) {
            md.append(String.format(Locale.ROOT, "| %,d | %s | %.2f s | %,.1f | %,.1f | %s |%n", r.customers(),
                    r.method(), r.seconds(), r.objective(), r.usage(), r.status()));
        }
        return md.toString();
    }

    private Simulation.Trace fixedTrace(Market.Day day, double[] curves, int[] levels, double lambda) {
        int ticks = scenario.pid().ticksPerDay();
        double dt = 86_400.0 / ticks;
        double[] lambdas = new double[ticks];
        double[] prices = new double[ticks];
        int k = simulation.market().ladder().size();
        double r = 0;
        double rp = 0;
        int i = 0;
        for (int t = 0; t < ticks; t++) {
            while (i < day.n() && day.second()[i] < (t + 1) * dt) {
                double ri = curves[i * k + levels[i]];
                r += ri;
                rp += ri * simulation.market().ladder().price(levels[i]);
                i++;
            }
            lambdas[t] = lambda;
            prices[t] = r > 0 ? rp / r : Double.NaN;
        }
        return new Simulation.Trace(lambdas, prices);
    }

    private static Market.Day subsample(Market.Day day, int arrivals) {
        int n = Math.min(arrivals, day.n());
        int width = Market.SCHEMA.size();
        double[] u = new double[n];
        double[] s = new double[n];
        int[] seg = new int[n];
        int[] sec = new int[n];
        float[] f = new float[n * width];
        for (int r = 0; r < n; r++) {
            int i = (int) ((long) r * day.n() / n);
            u[r] = day.utility()[i];
            s[r] = day.sensitivity()[i];
            seg[r] = day.segment()[i];
            sec[r] = day.second()[i];
            System.arraycopy(day.features(), i * width, f, r * width, width);
        }
        int[] user = new int[n];
        int[] tags = new int[n];
        for (int r = 0; r < n; r++) {
            int i = (int) ((long) r * day.n() / n);
            user[r] = day.user()[i];
            tags[r] = day.tags()[i];
        }
        return new Market.Day(day.index(), day.weekend(), n, u, s, seg, sec, f, user, tags);
    }

    static double nonMonotone(double[] curves, int n, int k) {
        long bad = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 1; j < k; j++) {
                if (curves[i * k + j] < curves[i * k + j - 1]) {
                    bad++;
                    break;
                }
            }
        }
        return (double) bad / n;
    }

    static double mean(double[] a) {
        double s = 0;
        for (double v : a) {
            s += v;
        }
        return s / a.length;
    }

    /** 95% half-width of the mean over days (Student t). */
    static double half(double[] a) {
        if (a.length < 2) {
            return Double.NaN;
        }
        double m = mean(a);
        double ss = 0;
        for (double v : a) {
            ss += (v - m) * (v - m);
        }
        double[] t = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160};
        double critical = a.length - 2 < t.length ? t[a.length - 2] : 1.96;
        return critical * Math.sqrt(ss / (a.length - 1)) / Math.sqrt(a.length);
    }

    public String log() {
        return log.toString();
    }

    /** Adds a line to the report's log. */
    public void note(String line) {
        log.append(line).append('\n');
    }

    /** Writes report.md and the figures into {@code out}. */
    public void writeReport(Path out, String command, List<MonotoneRow> t1, List<MisspecRow> t2,
                            Simulation.Trace[] traces, List<StrategyRow> t5, long millis) throws IOException {
        Files.createDirectories(out);
        StringBuilder md = new StringBuilder();
        md.append("# Simulation: ").append(scenario.name()).append("\n\n");
        md.append("Made by `").append(command).append("` in ").append(millis / 1000.0).append(" s; ")
                .append(scenario.customersPerDay()).append(" customers a weekday, ").append(scenario.evaluationDays())
                .append(" evaluation days, price floor ").append(scenario.minAveragePrice()).append(".\n\n");
        md.append("## Table 1: share of non-monotone predicted curves\n\n")
                .append("| campaign coverage | raw model | after isotonic | monotone-constrained model |\n|---|---|---|---|\n");
        for (MonotoneRow r : t1) {
            md.append(String.format(Locale.ROOT, "| %.0f%% | %.2f%% | %.2f%% | %.2f%% |%n", 100 * r.coverage(),
                    100 * r.raw(), 100 * r.afterIsotonic(), 100 * r.monotoneModel()));
        }
        md.append("\n## Table 2: misspecified starting lambda (evaluation day 0)\n\n")
                .append("| lambda off by | PID | customers offered a different price | budget deviation (model) | "
                        + "budget deviation (truth) | objective deviation |\n|---|---|---|---|---|---|\n");
        for (MisspecRow r : t2) {
            md.append(String.format(Locale.ROOT, "| %+.1f%% | %s | %.2f%% | %+.3f%% | %+.3f%% | %+.3f%% |%n",
                    100 * r.lambdaError(), r.pid() ? "yes" : "no", 100 * r.differentPriceShare(),
                    100 * r.budgetDeviation(), 100 * r.trueBudgetDeviation(), 100 * r.objectiveDeviation()));
        }
        md.append("\n## Table 5: strategies over ").append(scenario.evaluationDays())
                .append(" days (mean, 95% CI over days; outcomes in true expectation)\n\n")
                .append("| strategy | CVR | average price | vs floor | revenue per exposed customer | share of oracle |"
                        + " revenue − λ*·usage per customer |\n|---|---|---|---|---|---|---|\n");
        for (StrategyRow r : t5) {
            md.append(String.format(Locale.ROOT, "| %s | %.4f ± %.4f | %.4f ± %.4f | %+.3f%% | %.4f ± %.4f | %.2f%% |"
                    + " %.4f ± %.4f |%n", r.strategy(), r.cvr(), r.cvrHalf(), r.averagePrice(), r.priceHalf(),
                    100 * r.priceDeviation(), r.revenuePerArrival(), r.revenueHalf(), 100 * r.shareOfOracle(),
                    r.lagrangianPerArrival(), r.lagrangianHalf()));
        }
        if (!ruleHits.isEmpty()) {
            md.append("\n## Guardrail rules on the live path: decisions each rule acted on, per day\n\n| rule |");
            ruleHits.keySet().forEach(strategy -> md.append(' ').append(strategy).append(" |"));
            md.append("\n|---|").append("---|".repeat(ruleHits.size())).append('\n');
            ruleHits.values().stream().flatMap(h -> h.keySet().stream())
                    .collect(Collectors.toCollection(TreeSet::new)).forEach(rule -> {
                        md.append("| ").append(rule).append(" |");
                        ruleHits.values().forEach(h -> md.append(String.format(Locale.ROOT, " %,.0f |",
                                h.getOrDefault(rule, 0L) / (double) scenario.evaluationDays())));
                        md.append('\n');
                    });
        }
        md.append("\n![lambda and average price through a day](figure4-pid.svg)\n\n");
        md.append("![price distribution by strategy](figure6-prices.svg)\n\n");
        md.append("```\n").append(log).append("```\n");
        Files.writeString(out.resolve("report.md"), md.toString());

        int ticks = scenario.pid().ticksPerDay();
        double[] hours = new double[ticks];
        for (int t = 0; t < ticks; t++) {
            hours[t] = (t + 1) * 24.0 / ticks;
        }
        Files.writeString(out.resolve("figure4-pid.svg"), Svg.lines(
                "Starting lambda 7.7% low: running average price and lambda through the day", "hour of day",
                "running average price", "lambda", List.of(
                        new Svg.Series("avg price, no PID", hours, traces[0].averagePrice(), "#d62728", false),
                        new Svg.Series("avg price, PID", hours, traces[1].averagePrice(), "#1f77b4", false),
                        new Svg.Series("lambda, no PID", hours, traces[0].lambda(), "#ff9896", true),
                        new Svg.Series("lambda, PID", hours, traces[1].lambda(), "#aec7e8", true)),
                scenario.minAveragePrice(), "floor " + scenario.minAveragePrice()));
        StringBuilder csv = new StringBuilder("hour,lambda_no_pid,avg_price_no_pid,lambda_pid,avg_price_pid\n");
        for (int t = 0; t < ticks; t++) {
            csv.append(String.format(Locale.ROOT, "%.2f,%.6f,%.6f,%.6f,%.6f%n", hours[t], traces[0].lambda()[t],
                    traces[0].averagePrice()[t], traces[1].lambda()[t], traces[1].averagePrice()[t]));
        }
        Files.writeString(out.resolve("figure4-pid.csv"), csv.toString());
        List<String> prices = new ArrayList<>();
        var ladder = simulation.market().ladder();
        for (int j = 0; j < ladder.size(); j++) {
            prices.add(String.format(Locale.ROOT, "price %.0f", ladder.price(j)));
        }
        double[][] shares = t5.stream().map(StrategyRow::priceShares).toArray(double[][]::new);
        Files.writeString(out.resolve("figure6-prices.svg"), Svg.bars("Share of customers offered each price",
                "share of customers", t5.stream().map(StrategyRow::strategy).toList(), prices, shares,
                new String[]{"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"}));
    }
}
