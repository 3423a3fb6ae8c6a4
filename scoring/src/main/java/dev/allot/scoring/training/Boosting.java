package dev.allot.scoring.training;

import ml.dmlc.xgboost4j.java.Booster;
import ml.dmlc.xgboost4j.java.DMatrix;
import ml.dmlc.xgboost4j.java.XGBoost;
import ml.dmlc.xgboost4j.java.XGBoostError;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * XGBoost fitting with early stopping on a validation set, round by round through the booster's own calls.
 * {@code XGBoost.train} with watches prints every round's metrics through XGBoost's native console (about 240
 * lines for one evaluation); here the rounds report to a {@link Consumer} the caller chooses: a line every
 * {@value #REPORT_EVERY} rounds on a terminal, nothing with {@code --quiet}. The rounds are the same calls
 * {@code XGBoost.train} makes, so models and metrics are unchanged.
 */
public final class Boosting {

    /** What is learned: a probability (log loss) or a mean (squared error). */
    public enum Objective {
        BINARY("binary:logistic", "logloss"), REGRESSION("reg:squarederror", "rmse");

        private final String xgboost;
        private final String metric;

        Objective(String xgboost, String metric) {
            this.xgboost = xgboost;
            this.metric = metric;
        }

        public String xgboost() {
            return xgboost;
        }

        public String metric() {
            return metric;
        }
    }

    /** Progress lines go nowhere. */
    public static final Consumer<String> QUIET = line -> {
    };
    /** Progress lines go to standard error. */
    public static final Consumer<String> STDERR = System.err::println;

    private static final int REPORT_EVERY = 50;

    private Boosting() {
    }

    /** Booster parameters for {@code objective}; {@code monotone}, when not null, is one constraint per column. */
    public static Map<String, Object> parameters(Objective objective, int maxDepth, double eta, long seed,
                                                 int threads, int[] monotone) {
        Map<String, Object> p = new HashMap<>();
        p.put("objective", objective.xgboost());
        p.put("eval_metric", objective.metric());
        p.put("max_depth", maxDepth);
        p.put("eta", eta);
        p.put("seed", seed);
        p.put("nthread", threads);
        p.put("tree_method", "hist");
        if (monotone != null) {
            StringBuilder constraints = new StringBuilder("(");
            for (int i = 0; i < monotone.length; i++) {
                constraints.append(i == 0 ? "" : ",").append(monotone[i]);
            }
            p.put("monotone_constraints", constraints.append(')').toString());
        }
        return p;
    }

    /**
     * Boosts on {@code train} for at most {@code maxRounds}, stopping after {@code patience} rounds without a
     * lower validation metric, and returns the best round (0-based) with its metrics per round.
     */
    public static Rounds bestRound(DMatrix train, DMatrix valid, Map<String, Object> parameters, int maxRounds,
                                   int patience, Consumer<String> progress) {
        Booster booster = null;
        try {
            booster = XGBoost.train(train, parameters, 0, Map.of(), null, null);
            float[] trainMetric = new float[maxRounds];
            float[] validMetric = new float[maxRounds];
            DMatrix[] sets = {train, valid};
            String[] names = {"train", "valid"};
            int best = 0;
            int rounds = 0;
            for (int round = 0; round < maxRounds; round++) {
                booster.update(train, round);
                String line = booster.evalSet(sets, names, round);
                trainMetric[round] = metric(line, 1);
                validMetric[round] = metric(line, 2);
                rounds = round + 1;
                if (validMetric[round] < validMetric[best]) {
                    best = round;
                }
                if (round % REPORT_EVERY == 0) {
                    progress.accept(String.format(Locale.ROOT, "round %d: train %s, valid %s", round,
                            trainMetric[round], validMetric[round]));
                }
                if (round - best >= patience) {
                    break;
                }
            }
            progress.accept(String.format(Locale.ROOT, "best round %d of %d: valid %s %s", best, rounds,
                    parameters.get("eval_metric"), validMetric[best]));
            return new Rounds(best, rounds, trainMetric, validMetric);
        } catch (XGBoostError e) {
            throw new IllegalStateException("XGBoost training failed: " + e.getMessage(), e);
        } finally {
            if (booster != null) {
                booster.dispose();
            }
        }
    }

    /** The best round (0-based), the rounds run and each round's metrics on both sets. */
    public record Rounds(int best, int run, float[] train, float[] valid) {
    }

    /** {@code booster.evalSet} answers {@code "[3]\ttrain-logloss:0.51\tvalid-logloss:0.55"}. */
    private static float metric(String line, int field) {
        String[] parts = line.strip().split("\t");
        String part = parts[field];
        return Float.parseFloat(part.substring(part.lastIndexOf(':') + 1));
    }

    /** A model of exactly {@code rounds} rounds on {@code data}; prints nothing. */
    public static Booster fit(DMatrix data, Map<String, Object> parameters, int rounds) {
        try {
            return XGBoost.train(data, parameters, rounds, Map.of(), null, null);
        } catch (XGBoostError e) {
            throw new IllegalStateException("XGBoost training failed: " + e.getMessage(), e);
        }
    }
}
