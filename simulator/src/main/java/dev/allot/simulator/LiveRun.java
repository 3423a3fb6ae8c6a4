package dev.allot.simulator;

import dev.allot.control.CityTotals;
import dev.allot.control.PidTicker;
import dev.allot.control.memory.InMemoryCityStore;
import dev.allot.engine.CitySetup;
import dev.allot.engine.DecisionContext;
import dev.allot.engine.DecisionEngine;
import dev.allot.engine.DecisionRecord;
import dev.allot.engine.DecisionRequest;
import dev.allot.engine.Policy;
import dev.allot.engine.config.CityConfig;
import dev.allot.rules.CouponHistory;
import dev.allot.rules.Reason;
import dev.allot.scoring.ConversionCurve;

import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;

/**
 * One strategy's days in the simulated city, arrival by arrival through the service's {@link DecisionEngine},
 * against its own {@link InMemoryCityStore} on a simulated clock: the rules see each user's coupons of the last
 * seven days and the day's running totals (re-read every simulated minute, as a replica refreshes them); each
 * decision is counted and its purchase, drawn from the truth, reported as an outcome; with the controller on,
 * the service's {@link PidTicker} steers lambda every tick and starts each day from the day's stored lambda.
 * State carries over from one day to the next, so weekly limits bind as they would in production.
 */
public final class LiveRun {

    /**
     * What the strategy did on one day.
     *
     * @param levels   the level offered to each arrival (the coupon-free level when none was allowed; every
     *                 scenario's ladder has one, since a customer offered no level sees the base price)
     * @param trace    lambda and the steered average price after each tick (null without the controller)
     * @param ruleHits decisions each rule acted on, by rule name
     */
    public record Result(int[] levels, Simulation.Trace trace, Map<String, Long> ruleHits) {
    }

    private static final long WEEK_MILLIS = 7L * 86_400_000;
    private static final long REFRESH_MILLIS = 60_000;

    private final Simulation sim;
    private final AtomicLong clock = new AtomicLong();
    private final InMemoryCityStore store;
    private final PidTicker ticker;
    /** Where each decision's record goes, when a caller wants the day's log (a what-if's input); null: nowhere. */
    private java.util.List<DecisionRecord> recorded;
    /** The controller's gains; null: the city config's. */
    private dev.allot.control.PidGains gains;

    public LiveRun(Simulation sim) {
        if (sim.setup() == null) {
            throw new IllegalStateException("train the simulation's model before running it live");
        }
        this.sim = sim;
        this.store = new InMemoryCityStore(clock::get, 1_000);
        this.ticker = new PidTicker(store, "simulator");
    }

    /** Steers with {@code gains} instead of the city's (a what-if's live counterpart). */
    public LiveRun withGains(dev.allot.control.PidGains gains) {
        this.gains = gains;
        return this;
    }

    /** Keeps every decision's record in {@code sink} from now on: the day's log, as the service streams it. */
    public LiveRun recordInto(java.util.List<DecisionRecord> sink) {
        this.recorded = sink;
        return this;
    }

    /**
     * @param raw        the day's raw curves the strategy decides on ({@code n * K})
     * @param calibrated the same, calibrated
     * @param policy     the choice step for arrival {@code i}
     * @param lambda     the day's starting lambda (stored as the day's offline lambda), fixed all day without
     *                   the controller
     * @param pid        whether the controller steers lambda through the day
     */
    public Result day(Market.Day day, double[] raw, double[] calibrated, IntFunction<Policy> policy, double lambda,
                      boolean pid) {
        CitySetup setup = sim.setup();
        CityConfig config = setup.config();
        String city = config.city();
        int k = setup.coupons().length;
        Scenario.Pid p = sim.scenario().pid();
        long start = Simulation.DAY_ZERO.toEpochMilli() + day.index() * 86_400_000L;
        String dayKey = config.tradingDay().keyOf(Instant.ofEpochMilli(start));
        store.setLambda0(city, dayKey, lambda);
        long tickMillis = Math.round(config.pid().intervalSeconds() * 1000);
        double[] lambdas = new double[p.ticksPerDay()];
        double[] prices = new double[p.ticksPerDay()];
        int tick = 0;
        long nextTick = start + tickMillis;
        double current = lambda;
        CityTotals totals = CityTotals.EMPTY;
        long nextRefresh = start;
        SplittableRandom purchases = new SplittableRandom(sim.scenario().seed() * 7 + day.index());
        Map<String, Long> hits = new TreeMap<>();
        int[] levels = new int[day.n()];
        for (int i = 0; i < day.n(); i++) {
            long now = start + day.second()[i] * 1000L;
            while (pid && now >= nextTick && tick < p.ticksPerDay() - 1) {
                clock.set(nextTick);
                PidTicker.Tick t = ticker.tick(city, dayKey, config.constraint(), gains != null ? gains : config.pid(),
                        lambda, config.realizedSteering(), nextTick).toCompletableFuture().join();
                // Empty when nothing is measured yet (no purchase reported so early): λ stays.
                current = t.state().map(dev.allot.control.PidState::lambda).orElse(current);
                lambdas[tick] = current;
                prices[tick] = steered(t.totals(), config.realizedSteering());
                tick++;
                nextTick += tickMillis;
            }
            clock.set(now);
            if (now >= nextRefresh) {
                totals = store.totals(city, dayKey).toCompletableFuture().join();
                nextRefresh = now + REFRESH_MILLIS;
            }
            DecisionRequest request = sim.request(day, i);
            long coupons = store.prepare(city, null, request.userId(), now - WEEK_MILLIS).toCompletableFuture().join()
                    .couponsInWindow();
            DecisionContext context = DecisionContext.of(new CouponHistory(coupons, true), totals, request);
            ConversionCurve curve = new ConversionCurve(Arrays.copyOfRange(raw, i * k, (i + 1) * k),
                    Arrays.copyOfRange(calibrated, i * k, (i + 1) * k));
            String id = dayKey + "." + i;
            DecisionRecord r = DecisionEngine.decide(setup, sim.rules(), current, request, context, id, now, dayKey,
                    curve, policy.apply(i));
            store.append(r.event(Map.of()));
            if (recorded != null) {
                recorded.add(r);
            }
            int level = r.level() == null ? Math.max(0, config.couponFreeLevel()) : r.level();
            levels[i] = level;
            boolean bought = purchases.nextDouble() < sim.market().truth(day, i, level);
            store.recordOutcome(city, id, dayKey, bought, r.price(), r.coupon(), now);
            for (Reason reason : r.reasons()) {
                hits.merge(reason.rule(), 1L, Long::sum);
            }
        }
        if (!pid) {
            return new Result(levels, null, hits);
        }
        CityTotals end = store.totals(city, dayKey).toCompletableFuture().join();
        for (; tick < p.ticksPerDay(); tick++) {
            lambdas[tick] = current;
            prices[tick] = steered(end, config.realizedSteering());
        }
        return new Result(levels, new Simulation.Trace(lambdas, prices), hits);
    }

    private static double steered(CityTotals totals, boolean realized) {
        return realized ? totals.realizedAveragePrice() : totals.expectedAveragePrice();
    }
}
