package dev.allot.engine.whatif;

import dev.allot.control.BudgetConstraint;
import dev.allot.control.CityTotals;
import dev.allot.control.PidController;
import dev.allot.control.PidGains;
import dev.allot.control.PidState;
import dev.allot.engine.CitySetup;
import dev.allot.engine.DecisionEngine;
import dev.allot.engine.DecisionRecord;
import dev.allot.engine.Policy;
import dev.allot.scoring.ConversionCurve;
import dev.allot.rules.Guardrails;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.SplittableRandom;

/**
 * What a city's day would have been with other controller settings: the day's recorded decisions replayed in
 * time order through the {@link DecisionEngine} (each with the curve the live model gave it, so only λ differs),
 * with the real {@link PidController} stepping every interval on
 * the records' own clock, and the budget measured from the replayed decisions. Purchases are drawn from the
 * calibrated curve recorded with each decision (what the live model believed), from a seeded generator, so a
 * what-if is repeatable and two settings are compared on the same draws.
 *
 * <p>What it does not change: each record keeps the request and the rule context (coupon count, totals) it was
 * decided with, so rules that read history or totals act as they did that day. Pure: no Redis, no clock.
 */
public final class WhatIf {

    private WhatIf() {
    }

    /**
     * The settings to try.
     *
     * @param gains       the controller's tuning (its interval is the tick)
     * @param realized    steer on purchases drawn from the recorded curves (else on expected conversions)
     * @param fixedLambda hold λ here all day instead of steering (an override); empty: steer
     * @param constraint  the budget (the city's, or another target)
     * @param seed        the purchase draws
     */
    public record Settings(PidGains gains, boolean realized, OptionalDouble fixedLambda, BudgetConstraint constraint,
                           long seed) {
        public Settings {
            Objects.requireNonNull(gains, "gains");
            Objects.requireNonNull(fixedLambda, "fixedLambda");
            Objects.requireNonNull(constraint, "constraint");
        }
    }

    /** λ and the budget measure after a tick. */
    public record Point(long timestampMillis, double lambda, double measured) {
    }

    /**
     * The day as the settings would have run it.
     *
     * @param endDeviation the budget measure at the end of the day against its target, as a fraction of the target
     *                     (positive: above it)
     * @param revenue      expected revenue of the replayed decisions (conversion × price, summed)
     * @param purchases    purchases drawn
     */
    public record Result(List<Point> path, double endMeasured, double endDeviation, double endLambda, double revenue,
                         double purchases, long decisions, long ticks) {
    }

    /**
     * Replays {@code day} (any order; other cities' records are skipped) from {@code startLambda}, ticking one
     * interval after the first record and every interval from there.
     */
    public static Result run(CitySetup setup, Guardrails rules, List<DecisionRecord> day, double startLambda,
                             Settings settings) {
        return run(setup, rules, day, startLambda, settings, Long.MIN_VALUE, Integer.MAX_VALUE);
    }

    /**
     * As {@link #run(CitySetup, Guardrails, List, double, Settings)}, with the ticks on the day's own grid: one
     * interval after {@code dayStartMillis} and every interval from there, at most {@code maxTicks} of them (the
     * live controller's schedule).
     */
    public static Result run(CitySetup setup, Guardrails rules, List<DecisionRecord> day, double startLambda,
                             Settings settings, long dayStartMillis, int maxTicks) {
        List<DecisionRecord> records = new ArrayList<>();
        for (DecisionRecord r : day) {
            if (r.city().equals(setup.city()) && r.format() > 0) {
                records.add(r);
            }
        }
        records.sort(Comparator.comparingLong(DecisionRecord::timestampMillis));
        List<Point> path = new ArrayList<>();
        if (records.isEmpty()) {
            return new Result(path, Double.NaN, Double.NaN, startLambda, 0, 0, 0, 0);
        }
        PidGains gains = settings.gains();
        long interval = Math.max(1L, Math.round(gains.intervalSeconds() * 1000));
        long nextTick = (dayStartMillis == Long.MIN_VALUE ? records.get(0).timestampMillis() : dayStartMillis)
                + interval;
        PidState state = PidState.start(settings.fixedLambda().isPresent() ? settings.fixedLambda().getAsDouble()
                : gains.clamp(startLambda));
        Map<String, Double> totals = new HashMap<>();
        SplittableRandom draws = new SplittableRandom(settings.seed());
        double revenue = 0;
        long ticks = 0;
        for (DecisionRecord recorded : records) {
            while (recorded.timestampMillis() >= nextTick && ticks < maxTicks) {
                CityTotals now = new CityTotals(Map.copyOf(totals));
                // As the live ticker: no step while nothing is measured.
                if (settings.fixedLambda().isEmpty()
                        && !Double.isNaN(settings.constraint().measure(now, settings.realized()))) {
                    state = PidController.step(state, gains, settings.constraint().error(now, settings.realized()),
                            gains.intervalSeconds());
                }
                ticks++;
                path.add(new Point(nextTick, state.lambda(), settings.constraint().measure(now, settings.realized())));
                nextTick += interval;
            }
            // The curve the live model gave this arrival, not a new scoring: only λ differs from the day.
            ConversionCurve curve = new ConversionCurve(recorded.levels().raw(), recorded.levels().calibrated());
            // And what its value model said a conversion was worth, if the city had one.
            DecisionRecord replayed = DecisionEngine.decide(setup, rules, state.lambda(), recorded.request(),
                    recorded.context(), recorded.decisionId(), recorded.timestampMillis(), recorded.day(), curve,
                    recorded.levels().worth() != null && recorded.levels().worth().length == setup.coupons().length
                            ? recorded.levels().worth() : null, Policy.BY_GROUP);
            replayed.totalsDelta().forEach((field, delta) -> totals.merge(field, delta, Double::sum));
            if (replayed.level() != null) {
                double p = recorded.levels().calibrated()[replayed.level()];
                revenue += replayed.expectedConversion() * replayed.price();
                totals.merge(CityTotals.OUTCOMES, 1.0, Double::sum);
                if (draws.nextDouble() < p) {
                    totals.merge(CityTotals.PURCHASES, 1.0, Double::sum);
                    totals.merge(CityTotals.REALIZED_REVENUE, replayed.price(), Double::sum);
                    totals.merge(CityTotals.REALIZED_SPEND, replayed.coupon(), Double::sum);
                }
            }
        }
        CityTotals end = new CityTotals(Map.copyOf(totals));
        double measured = settings.constraint().measure(end, settings.realized());
        double target = settings.constraint().target();
        return new Result(path, measured, (measured - target) / target, state.lambda(), revenue,
                totals.getOrDefault(CityTotals.PURCHASES, 0.0), records.size(), ticks);
    }
}
