package dev.allot.simulator;

import dev.allot.control.BudgetConstraint;
import dev.allot.control.LambdaArgmax;
import dev.allot.control.Objective;
import dev.allot.control.PidController;
import dev.allot.control.PidGains;
import dev.allot.control.PidState;
import dev.allot.control.Pricing;
import dev.allot.control.offline.DualSolver;
import dev.allot.control.offline.Population;
import dev.allot.scoring.Isotonic;
import dev.allot.scoring.Ladder;
import dev.allot.scoring.TreeEnsemble;
import dev.allot.scoring.XGBoostModel;
import dev.allot.scoring.training.ModelTrainer;
import dev.allot.rules.Arrival;
import dev.allot.rules.CouponHistory;
import dev.allot.rules.DayTotals;
import dev.allot.rules.GuardrailRules;
import dev.allot.rules.LevelCandidate;
import dev.allot.rules.RuleSet;
import dev.allot.scoring.training.TrainingSet;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Runs allocation strategies over simulated days through the production classes: the model is an
 * XGBoost4J model trained on the market's logs and scored by the service's {@link TreeEnsemble}; curves are
 * calibrated by {@link Isotonic}; choices are {@link LambdaArgmax}; offline lambdas come from
 * {@link DualSolver}; the live controller is {@link PidController}. Outcomes are measured with the true
 * probabilities, so they are exact expectations rather than noisy draws.
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

    private final Scenario scenario;
    private final Market market;
    private final Ladder ladder;
    private final Pricing pricing;
    private final int k;
    private final RuleSet rules;
    private TreeEnsemble model;

    public Simulation(Scenario scenario) {
        this.scenario = scenario;
        this.market = new Market(scenario);
        this.ladder = market.ladder();
        this.pricing = new Pricing(ladder, Objective.REVENUE,
                new BudgetConstraint.AveragePriceFloor(scenario.minAveragePrice()), 0);
        this.k = ladder.size();
        this.rules = scenario.rules() == null ? null : GuardrailRules.compile(Path.of(scenario.rules()));
    }

    /**
     * The levels the guardrail rules allow each arrival ({@code n * K}), evaluated once per day by the service's
     * Drools rule set; null when the scenario has no rules.
     */
    public boolean[] allowed(Market.Day day, double[] calibrated) {
        if (rules == null) {
            return null;
        }
        boolean[] allowed = new boolean[day.n() * k];
        List<String> segments = scenario.segments().stream().map(Scenario.Segment::name).toList();
        CouponHistory history = new CouponHistory(0, true);
        DayTotals totals = new DayTotals(0, 0, 0);
        IntStream.range(0, day.n()).parallel().forEach(i -> {
            List<LevelCandidate> candidates = new ArrayList<>(k);
            for (int j = 0; j < k; j++) {
                candidates.add(new LevelCandidate(j, ladder.coupon(j), ladder.price(j), calibrated[i * k + j]));
            }
            Arrival arrival = new Arrival("simulated", "c" + i, segments.get(day.segment()[i]), Map.of(), Map.of(),
                    Set.of());
            boolean[] row = rules.evaluate(arrival, candidates, history, totals).allowed(ladder.coupon(0) == 0 ? 0 : -1);
            System.arraycopy(row, 0, allowed, i * k, k);
        });
        return allowed;
    }

    /** Moves each choice the rules forbid to the nearest allowed level below it (else above): a fixed plan
     * meeting the guardrails at serving time. */
    public int[] restrict(int[] levels, boolean[] allowed) {
        if (allowed == null) {
            return levels;
        }
        int[] out = levels.clone();
        for (int i = 0; i < out.length; i++) {
            if (!allowed[i * k + out[i]]) {
                int j = out[i];
                int below = j;
                while (below >= 0 && !allowed[i * k + below]) {
                    below--;
                }
                int above = j;
                while (above < k && !allowed[i * k + above]) {
                    above++;
                }
                out[i] = below >= 0 ? below : above < k ? above : 0;
            }
        }
        return out;
    }

    public Market market() {
        return market;
    }

    public Pricing pricing() {
        return pricing;
    }

    /** Trains the conversion model on the training days' logs (days before day 0). */
    public void train(boolean monotone) {
        model = trainModel(scenario, monotone);
    }

    static TreeEnsemble trainModel(Scenario scenario, boolean monotone) {
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
        float[] coupons = new float[k];
        for (int j = 0; j < k; j++) {
            coupons[j] = (float) market.ladder().coupon(j);
        }
        double[] raw = new double[day.n() * k];
        double[] calibrated = new double[day.n() * k];
        IntStream.range(0, day.n()).parallel().forEach(i -> {
            float[] features = Arrays.copyOfRange(day.features(), i * width, (i + 1) * width);
            double[] curve = new double[k];
            model.predictLevels(features, coupons, curve);
            System.arraycopy(curve, 0, raw, i * k, k);
            Isotonic.fit(curve, curve, k);
            System.arraycopy(curve, 0, calibrated, i * k, k);
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
     * The live path: arrivals in order, lambda moved by the PID controller at each tick from the running
     * expected average price of the decisions so far (as the model predicts it, as the service does).
     */
    public int[] withPid(Market.Day day, double[] curves, double lambda0, Trace[] trace, boolean[] allowedLevels) {
        Scenario.Pid p = scenario.pid();
        double dt = 86_400.0 / p.ticksPerDay();
        PidGains gains = new PidGains(p.kp(), p.ki(), p.kd(), dt, 0, p.lambdaMax());
        PidState state = PidState.start(lambda0);
        int n = day.n();
        int[] levels = new int[n];
        double[] v = new double[k];
        double[] c = new double[k];
        boolean[] row = allowedAll();
        double sumR = 0;
        double sumRp = 0;
        // Purchases drawn from the truth, for a controller that steers on what buyers actually paid.
        SplittableRandom purchases = new SplittableRandom(scenario.seed() * 7 + day.index());
        double[] lambdas = new double[p.ticksPerDay()];
        double[] prices = new double[p.ticksPerDay()];
        int tick = 0;
        for (int i = 0; i < n; i++) {
            while (tick < p.ticksPerDay() - 1 && day.second()[i] >= (tick + 1) * dt) {
                double avg = sumR > 0 ? sumRp / sumR : Double.NaN;
                double error = Double.isNaN(avg) ? 0 : pricing.constraint().errorOf(avg);
                state = PidController.step(state, gains, error, dt);
                lambdas[tick] = state.lambda();
                prices[tick] = avg;
                tick++;
            }
            valuesAndCosts(curves, i, v, c);
            allowedRow(allowedLevels, i, row);
            int j = LambdaArgmax.choose(v, c, row, state.lambda());
            levels[i] = j;
            double r = p.realized() ? (purchases.nextDouble() < market.truth(day, i, j) ? 1 : 0) : curves[i * k + j];
            sumR += r;
            sumRp += r * ladder.price(j);
        }
        for (; tick < p.ticksPerDay(); tick++) {
            lambdas[tick] = state.lambda();
            prices[tick] = sumRp / sumR;
        }
        if (trace != null) {
            trace[0] = new Trace(lambdas, prices);
        }
        return levels;
    }

    /** A uniformly random allowed level for everyone: the exploration policy. */
    public int[] random(int n, long seed, boolean[] allowed) {
        SplittableRandom random = new SplittableRandom(seed);
        int[] levels = new int[n];
        boolean[] row = allowedAll();
        for (int i = 0; i < n; i++) {
            allowedRow(allowed, i, row);
            int count = 0;
            for (boolean a : row) {
                count += a ? 1 : 0;
            }
            int pick = random.nextInt(Math.max(1, count));
            for (int j = 0, seen = 0; j < k; j++) {
                if (row[j] && seen++ == pick) {
                    levels[i] = j;
                    break;
                }
            }
        }
        return levels;
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
            v[j] = pricing.objective().value(r, price, 0);
            c[j] = pricing.constraint().cost(r, price, ladder.coupon(j));
        }
    }

    private boolean[] allowedAll() {
        boolean[] all = new boolean[k];
        Arrays.fill(all, true);
        return all;
    }
}
