package dev.allot.simulator;

import dev.allot.control.BudgetConstraint;
import dev.allot.control.LambdaArgmax;
import dev.allot.control.Objective;
import dev.allot.control.PidGains;
import dev.allot.control.Pricing;
import dev.allot.control.TradingDay;
import dev.allot.control.offline.DualSolver;
import dev.allot.control.offline.Population;
import dev.allot.engine.CitySetup;
import dev.allot.engine.DecisionContext;
import dev.allot.engine.DecisionEngine;
import dev.allot.engine.DecisionRequest;
import dev.allot.engine.config.CityConfig;
import dev.allot.rules.GuardrailRules;
import dev.allot.rules.Guardrails;
import dev.allot.rules.RuleVocabulary;
import dev.allot.scoring.ConversionCurve;
import dev.allot.scoring.ConversionScorer;
import dev.allot.scoring.Ladder;
import dev.allot.scoring.ModelBundle;
import dev.allot.scoring.ModelCard;
import dev.allot.scoring.TreeEnsemble;
import dev.allot.scoring.XGBoostModel;
import dev.allot.scoring.training.ModelTrainer;
import dev.allot.scoring.training.TrainingSet;

import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;

/**
 * The simulated city and what every strategy shares: the market, the model (XGBoost4J trained on the market's
 * logs, scored by the service's {@link ConversionScorer}), the city's configuration and rules, the requests
 * the app would send, the day-ahead solves ({@link DualSolver}) and the measure of a day in truth. Strategies
 * live through their days in {@link LiveRun}, through the service's engine. Outcomes are measured with the
 * true probabilities, so they are exact expectations rather than noisy draws.
 */
public final class Simulation {

    /** A day's curves for every arrival, {@code n * K} row-major. */
    public record Curves(double[] raw, double[] calibrated, double[] truth) {
    }

    /**
     * How a strategy did on a day, in true expectation.
     *
     * @param predictedAveragePrice the average price as the strategy's own model saw it (what a controller steers)
     */
    public record Outcome(String strategy, int day, int arrivals, double conversions, double revenue,
                          double averagePrice, double predictedAveragePrice, double usage, long[] levelCounts) {
        public double conversionRate() {
            return conversions / arrivals;
        }

        public double revenuePerArrival() {
            return revenue / arrivals;
        }
    }

    /** The live controller's day: lambda and the running (predicted) average price after each tick. */
    public record Trace(double[] lambda, double[] averagePrice) {
    }

    /** The simulated city's name, in its config and its decisions. */
    public static final String CITY = "simulated";
    /** Evaluation day 0 is Monday 2026-01-05 (the market's days 5 and 6 are the weekend). */
    static final Instant DAY_ZERO = Instant.parse("2026-01-05T00:00:00Z");

    private final Scenario scenario;
    private final Market market;
    private final Ladder ladder;
    private final CityConfig config;
    private final Pricing pricing;
    private final int k;
    private final Guardrails rules;
    private final List<String> segmentNames;
    private final List<Map<String, Object>> attributeMaps;
    private final List<List<String>> campaignLists;
    private TreeEnsemble model;
    private boolean trainedMonotone;
    private CitySetup setup;

    public Simulation(Scenario scenario) {
        this.scenario = scenario;
        this.market = new Market(scenario);
        this.ladder = market.ladder();
        this.config = cityConfig(scenario, ladder);
        this.pricing = config.pricing();
        this.k = ladder.size();
        this.rules = scenario.rules() == null ? Guardrails.NONE
                : GuardrailRules.compile(Path.of(scenario.rules()), config.ruleFields());
        this.segmentNames = scenario.segments().stream().map(Scenario.Segment::name).toList();
        this.attributeMaps = attributeMaps(scenario.attributeNames());
        this.campaignLists = campaignLists(scenario.campaignNames());
    }

    /**
     * The simulated city as the service would configure it: the scenario's ladder, objective and price floor,
     * the controller's gains ticking {@code ticksPerDay} times a day, days starting at midnight UTC. Everyone is
     * optimized (no exploration or holdout): strategies are compared on the whole population.
     */
    static CityConfig cityConfig(Scenario scenario, Ladder ladder) {
        Scenario.Pid p = scenario.pid();
        Objective objective = scenario.objective() == null ? Objective.REVENUE
                : Objective.valueOf(scenario.objective().toUpperCase(Locale.ROOT));
        return new CityConfig(CITY, "CNY", ladder, objective, scenario.unitCost() == null ? 0 : scenario.unitCost(),
                new BudgetConstraint.AveragePriceFloor(scenario.minAveragePrice()), 0, 0, 0,
                new PidGains(p.kp(), p.ki(), p.kd(), 86_400.0 / p.ticksPerDay(), 0, p.lambdaMax()), 0, p.realized(),
                new TradingDay(ZoneOffset.UTC, LocalTime.MIDNIGHT), Path.of("."), ruleFields(scenario), "unknown");
    }

    /** The scenario's attributes are flags; its features are the market's. */
    private static RuleVocabulary ruleFields(Scenario scenario) {
        Map<String, RuleVocabulary.Type> attributes = new TreeMap<>();
        scenario.attributeNames().forEach(name -> attributes.put(name, RuleVocabulary.Type.BOOLEAN));
        Set<String> features = new TreeSet<>(Market.SCHEMA.names());
        features.remove(Market.SCHEMA.couponFeature());
        return new RuleVocabulary(attributes, features);
    }

    public CityConfig config() {
        return config;
    }

    /** Configuration and trained model, as the engine takes them; null before {@link #train}. */
    public CitySetup setup() {
        return setup;
    }

    public Guardrails rules() {
        return rules;
    }

    public Scenario scenario() {
        return scenario;
    }

    /** What the app would send for arrival {@code i}: its user, segment, features, attributes and campaigns. */
    DecisionRequest request(Market.Day day, int i) {
        int width = FEATURES.size();
        List<Map.Entry<String, Double>> features = new ArrayList<>(width);
        for (int f = 0; f < width; f++) {
            float v = day.features()[i * width + f];
            if (f != Market.SCHEMA.couponIndex() && !Float.isNaN(v)) {
                features.add(Map.entry(FEATURES.get(f), (double) v));
            }
        }
        int tags = day.tags()[i];
        int attributes = scenario.attributeNames().size();
        return new DecisionRequest(null, CITY, "u" + day.user()[i], segmentNames.get(day.segment()[i]),
                Map.ofEntries(features.toArray(Map.Entry[]::new)), attributeMaps.get(tags & ((1 << attributes) - 1)),
                campaignLists.get(tags >>> attributes), null);
    }

    private static final List<String> FEATURES = Market.SCHEMA.names();

    /** Every combination of the scenario's attributes (by bit mask), built once: arrivals share them. */
    private static List<Map<String, Object>> attributeMaps(List<String> names) {
        List<Map<String, Object>> maps = new ArrayList<>();
        for (int mask = 0; mask < 1 << names.size(); mask++) {
            Map<String, Object> m = new HashMap<>();
            for (int a = 0; a < names.size(); a++) {
                m.put(names.get(a), (mask & (1 << a)) != 0);
            }
            maps.add(Map.copyOf(m));
        }
        return List.copyOf(maps);
    }

    /** Every combination of the scenario's campaigns (by bit mask), built once. */
    private static List<List<String>> campaignLists(List<String> names) {
        List<List<String>> lists = new ArrayList<>();
        for (int mask = 0; mask < 1 << names.size(); mask++) {
            List<String> l = new ArrayList<>();
            for (int c = 0; c < names.size(); c++) {
                if ((mask & (1 << c)) != 0) {
                    l.add(names.get(c));
                }
            }
            lists.add(List.copyOf(l));
        }
        return List.copyOf(lists);
    }

    /**
     * The levels the guardrail rules allow each arrival ({@code n * K}) as a day-ahead planner can know them:
     * the arrival's own facts (segment, attributes, campaigns), with no coupon history and no running totals,
     * which only the live path sees. Null when the scenario has no rules.
     */
    public boolean[] allowed(Market.Day day, double[] calibrated) {
        if (rules == Guardrails.NONE) {
            return null;
        }
        if (setup == null) {
            throw new IllegalStateException("train the simulation's model before asking its rules");
        }
        boolean[] allowed = new boolean[day.n() * k];
        DecisionContext noHistory = new DecisionContext(0, true, 0, 0, 0);
        IntStream.range(0, day.n()).parallel().forEach(i -> {
            double[] curve = Arrays.copyOfRange(calibrated, i * k, (i + 1) * k);
            boolean[] row = DecisionEngine.allowed(setup, rules, request(day, i), noHistory,
                    new ConversionCurve(curve, curve));
            System.arraycopy(row, 0, allowed, i * k, k);
        });
        return allowed;
    }

    public Market market() {
        return market;
    }

    public Pricing pricing() {
        return pricing;
    }

    /** Trains the conversion model on the training days' logs (days before day 0), unless it already has. */
    public void train(boolean monotone) {
        if (model != null && trainedMonotone == monotone) {
            return;
        }
        trainedMonotone = monotone;
        model = trainModel(scenario, monotone);
        ModelCard card = new ModelCard("sim-" + scenario.name() + (monotone ? "-monotone" : ""),
                Market.SCHEMA.names(), Market.COUPON, null, null, scenario.model().trainingRows(), null, null, null,
                "trained by the simulator on scenario " + scenario.name());
        setup = CitySetup.of(config, new ModelBundle(card, model, Path.of(".")));
    }

    /**
     * Models already trained in this JVM, by scenario and constraint: Table 1 trains the scenario's own model among
     * others, Tables 2 and 5 use it again, and training is the slowest step of a small run.
     */
    private static final Map<List<Object>, TreeEnsemble> TRAINED = new ConcurrentHashMap<>();

    static TreeEnsemble trainModel(Scenario scenario, boolean monotone) {
        return TRAINED.computeIfAbsent(List.of(scenario, monotone), key -> train(scenario, monotone));
    }

    private static TreeEnsemble train(Scenario scenario, boolean monotone) {
        Market market = new Market(scenario);
        int perDay = scenario.model().trainingRows() / scenario.trainingDays();
        SplittableRandom random = new SplittableRandom(scenario.seed() + 17);
        int width = Market.SCHEMA.size();
        float[] x = new float[perDay * scenario.trainingDays() * width];
        float[] y = new float[perDay * scenario.trainingDays()];
        int rows = 0;
        for (int d = 1; d <= scenario.trainingDays(); d++) {
            TrainingSet log = market.log(market.day(-d), perDay, random);
            System.arraycopy(log.features(), 0, x, rows * width, log.rows() * width);
            System.arraycopy(log.labels(), 0, y, rows, log.rows());
            rows += log.rows();
        }
        TrainingSet all = new TrainingSet(Market.SCHEMA, Arrays.copyOf(x, rows * width), Arrays.copyOf(y, rows), rows);
        Scenario.Model m = scenario.model();
        try (XGBoostModel trained = ModelTrainer.train(all, new ModelTrainer.Parameters(m.rounds(), m.depth(), m.eta(),
                monotone, scenario.seed(), Runtime.getRuntime().availableProcessors()))) {
            return TreeEnsemble.read(trained.toJson(), Market.SCHEMA);
        }
    }

    /** Raw and calibrated predictions and the truth for every arrival of a day, scored on all cores. */
    public Curves curves(Market.Day day) {
        return curves(day, model, market, k);
    }

    static Curves curves(Market.Day day, TreeEnsemble model, Market market, int k) {
        int width = Market.SCHEMA.size();
        // The service's scorer (ladder walk, then isotonic), run on every core for a whole day at once.
        ConversionScorer scorer = new ConversionScorer(model, market.ladder());
        double[] raw = new double[day.n() * k];
        double[] calibrated = new double[day.n() * k];
        IntStream.range(0, day.n()).parallel().forEach(i -> {
            ConversionCurve curve = scorer.score(Arrays.copyOfRange(day.features(), i * width, (i + 1) * width));
            System.arraycopy(curve.raw(), 0, raw, i * k, k);
            System.arraycopy(curve.calibrated(), 0, calibrated, i * k, k);
        });
        return new Curves(raw, calibrated, market.trueCurves(day));
    }

    /** Offline lambda solved on a population's curves (the day-ahead solve on a day like tomorrow). */
    public double offlineLambda(double[] curves, int n, boolean[] allowed) {
        return DualSolver.solve(pricing, new Population(curves, n, k, allowed)).lambda();
    }

    /** Per-arrival argmax at a fixed lambda over the given curves, among the allowed levels. */
    public int[] argmax(double[] curves, int n, double lambda, boolean[] allowed) {
        int[] levels = new int[n];
        double[] v = new double[k];
        double[] c = new double[k];
        boolean[] row = allowedAll();
        for (int i = 0; i < n; i++) {
            valuesAndCosts(curves, i, v, c);
            allowedRow(allowed, i, row);
            levels[i] = LambdaArgmax.choose(v, c, row, lambda);
        }
        return levels;
    }

    private void allowedRow(boolean[] allowed, int i, boolean[] row) {
        if (allowed != null) {
            System.arraycopy(allowed, i * k, row, 0, k);
        }
    }

    /**
     * A segment rule, the way a marketing team sets coupons: one level per segment, chosen on a past day's
     * predicted curves as the combination with the most predicted revenue whose predicted average price
     * meets the floor.
     */
    public int[] tuneManual(Market.Day past, double[] pastCurves) {
        int segments = scenario.segments().size();
        double[][] sumR = new double[segments][k];
        for (int i = 0; i < past.n(); i++) {
            for (int j = 0; j < k; j++) {
                sumR[past.segment()[i]][j] += pastCurves[i * k + j];
            }
        }
        int combinations = (int) Math.pow(k, segments);
        int[] best = null;
        double bestRevenue = Double.NEGATIVE_INFINITY;
        int[] highestPrice = new int[segments];
        for (int code = 0; code < combinations; code++) {
            int[] rule = new int[segments];
            double r = 0;
            double rp = 0;
            for (int s = 0, rest = code; s < segments; s++, rest /= k) {
                rule[s] = rest % k;
                r += sumR[s][rule[s]];
                rp += sumR[s][rule[s]] * ladder.price(rule[s]);
            }
            if (rp / r >= scenario.minAveragePrice() && rp > bestRevenue) {
                bestRevenue = rp;
                best = rule;
            }
        }
        return best != null ? best : highestPrice;
    }

    public int[] manual(Market.Day day, int[] rule) {
        int[] levels = new int[day.n()];
        for (int i = 0; i < day.n(); i++) {
            levels[i] = rule[day.segment()[i]];
        }
        return levels;
    }

    /** What a policy's choices are worth in truth, and what its predictions said. */
    public Outcome evaluate(String strategy, Market.Day day, int[] levels, double[] truth, double[] predicted) {
        double conversions = 0;
        double revenue = 0;
        double usage = 0;
        double predR = 0;
        double predRp = 0;
        long[] counts = new long[k];
        for (int i = 0; i < day.n(); i++) {
            int j = levels[i];
            double r = truth[i * k + j];
            conversions += r;
            revenue += r * ladder.price(j);
            usage += pricing.constraint().cost(r, ladder.price(j), ladder.coupon(j));
            if (predicted != null) {
                predR += predicted[i * k + j];
                predRp += predicted[i * k + j] * ladder.price(j);
            }
            counts[j]++;
        }
        return new Outcome(strategy, day.index(), day.n(), conversions, revenue, revenue / conversions,
                predicted == null ? Double.NaN : predRp / predR, usage, counts);
    }

    private void valuesAndCosts(double[] curves, int i, double[] v, double[] c) {
        for (int j = 0; j < k; j++) {
            double r = curves[i * k + j];
            double price = ladder.price(j);
            v[j] = pricing.objective().value(r, price, pricing.unitCost());
            c[j] = pricing.constraint().cost(r, price, ladder.coupon(j));
        }
    }

    private boolean[] allowedAll() {
        boolean[] all = new boolean[k];
        Arrays.fill(all, true);
        return all;
    }
}
