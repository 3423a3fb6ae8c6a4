package dev.allot.engine.whatif;

import dev.allot.control.BudgetConstraint;
import dev.allot.control.PidGains;
import dev.allot.engine.CitySetup;
import dev.allot.engine.DecisionRecord;
import dev.allot.rules.Guardrails;
import org.hipparchus.exception.MathIllegalStateException;
import org.hipparchus.optim.InitialGuess;
import org.hipparchus.optim.MaxEval;
import org.hipparchus.optim.nonlinear.scalar.GoalType;
import org.hipparchus.optim.nonlinear.scalar.ObjectiveFunction;
import org.hipparchus.optim.nonlinear.scalar.noderiv.NelderMeadSimplex;
import org.hipparchus.optim.nonlinear.scalar.noderiv.SimplexOptimizer;

import java.util.List;
import java.util.OptionalDouble;

/**
 * Suggested controller gains: a Nelder–Mead search (Hipparchus) over {@code kp} and {@code ki} on recorded days,
 * each candidate judged by {@link WhatIf} replays: the mean absolute end-of-day deviation from the target, plus a
 * penalty on λ churn (the day's total movement of λ relative to its start), so the search prefers calm steering
 * among gains that end equally close. Searched in log space (gains stay positive, steps are relative); {@code kd},
 * the interval and the bounds stay as they are. The gains in force are the starting point, so the suggestion is
 * never judged worse than them.
 */
public final class GainSearch {

    /** Deviation (a fraction of the target) that one unit of λ churn (total movement / start) is worth. */
    public static final double CHURN_WEIGHT = 0.0005;
    private static final int MAX_EVALUATIONS = 60;
    /** A search stops replaying after this long and offers the best gains found. */
    private static final long DEADLINE_NANOS = 60_000_000_000L;

    private GainSearch() {
    }

    /** A recorded day: its decisions and the λ it started from. */
    public record Day(List<DecisionRecord> records, double startLambda) {
    }

    /** The gains found, their score and that of the gains in force (lower is better), and how many replays ran. */
    public record Suggestion(PidGains gains, double score, double currentScore, int evaluations) {
    }

    public static Suggestion suggest(CitySetup setup, Guardrails rules, List<Day> days, PidGains current,
                                     boolean realized, BudgetConstraint constraint, long seed) {
        if (days.isEmpty()) {
            throw new IllegalArgumentException("no recorded days to search on");
        }
        double kp0 = Math.max(current.kp(), 1e-4);
        double ki0 = Math.max(current.ki(), 1e-7);
        double[] best = {Math.log(kp0), Math.log(ki0)};
        double[] bestScore = {Double.POSITIVE_INFINITY};
        int[] evaluations = {0};
        long deadline = System.nanoTime() + DEADLINE_NANOS;
        ObjectiveFunction objective = new ObjectiveFunction(x -> {
            if (System.nanoTime() > deadline) {
                // Out of time: every further candidate loses, and the search ends within its evaluation budget.
                return Double.POSITIVE_INFINITY;
            }
            evaluations[0]++;
            double s = score(setup, rules, days, gains(current, x), realized, constraint, seed);
            if (s < bestScore[0]) {
                bestScore[0] = s;
                best[0] = x[0];
                best[1] = x[1];
            }
            return s;
        });
        double currentScore = score(setup, rules, days, current, realized, constraint, seed);
        try {
            new SimplexOptimizer(1e-4, 1e-7).optimize(new MaxEval(MAX_EVALUATIONS), objective, GoalType.MINIMIZE,
                    new InitialGuess(new double[]{Math.log(kp0), Math.log(ki0)}),
                    new NelderMeadSimplex(new double[]{Math.log(3), Math.log(3)}));
        } catch (MathIllegalStateException e) {
            // The evaluation budget ran out: the best point seen stands.
        }
        if (currentScore <= bestScore[0]) {
            return new Suggestion(current, currentScore, currentScore, evaluations[0]);
        }
        return new Suggestion(gains(current, best), bestScore[0], currentScore, evaluations[0]);
    }

    /** Gains searched stay within [1e-7, 100]: no overflow, and nothing a city could run. */
    private static PidGains gains(PidGains current, double[] logGains) {
        return new PidGains(bounded(logGains[0]), bounded(logGains[1]), current.kd(), current.intervalSeconds(),
                current.lambdaMin(), current.lambdaMax());
    }

    private static double bounded(double logGain) {
        return Math.exp(Math.max(Math.log(1e-7), Math.min(Math.log(100), logGain)));
    }

    /** Mean over the days of |end-of-day deviation| + {@link #CHURN_WEIGHT} × λ churn. */
    static double score(CitySetup setup, Guardrails rules, List<Day> days, PidGains gains, boolean realized,
                        BudgetConstraint constraint, long seed) {
        double sum = 0;
        for (Day day : days) {
            WhatIf.Result r = WhatIf.run(setup, rules, day.records(), day.startLambda(),
                    new WhatIf.Settings(gains, realized, OptionalDouble.empty(), constraint, seed));
            double churn = 0;
            double previous = day.startLambda();
            for (WhatIf.Point p : r.path()) {
                churn += Math.abs(p.lambda() - previous);
                previous = p.lambda();
            }
            double deviation = Double.isFinite(r.endDeviation()) ? Math.abs(r.endDeviation()) : 1;
            sum += deviation + CHURN_WEIGHT * churn / Math.max(day.startLambda(), 1e-6);
        }
        return sum / days.size();
    }
}
