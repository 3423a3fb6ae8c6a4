package dev.allot.evaluation;

import dev.allot.scoring.ConversionCurve;
import dev.allot.scoring.ConversionScorer;
import dev.allot.scoring.FeatureSchema;
import dev.allot.scoring.Isotonic;
import dev.allot.scoring.Ladder;
import dev.allot.scoring.StableHash;
import dev.allot.scoring.TreeEnsemble;
import dev.allot.scoring.training.Boosting;
import dev.allot.scoring.training.Trainer;
import dev.allot.scoring.training.TrainingSet;
import dev.allot.scoring.training.TrainingTable;
import ml.dmlc.xgboost4j.java.Booster;
import ml.dmlc.xgboost4j.java.DMatrix;
import ml.dmlc.xgboost4j.java.XGBoostError;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * How the outcome under each arm is predicted for a unit, trained on the training clusters only.
 * <ul>
 *   <li>{@link Kind#LADDER}: arms ordered by cost, one model with the arm's cost as a feature, constrained to be
 *   non-decreasing in it, and each unit's curve over the arms made monotone by isotonic regression: the
 *   service's own conversion model (a binary outcome goes through the very same {@link Trainer}).</li>
 *   <li>{@link Kind#POOLED}: arms without an order (equal costs allowed), one model with an indicator per arm and
 *   no constraint: arms share what the features say about the baseline.</li>
 *   <li>{@link Kind#PER_ARM}: one model per arm on that arm's units: nothing shared, no constraint.</li>
 * </ul>
 * Binary outcomes are fitted by log loss (predictions are probabilities), continuous ones by squared error
 * (predictions are means); early stopping uses a seeded fifth of the training clusters.
 */
public final class ArmModel {

    public enum Kind {
        LADDER, POOLED, PER_ARM;

        public String label() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        public static Kind parse(String text) {
            for (Kind k : values()) {
                if (k.label().equals(text.strip().toLowerCase(Locale.ROOT))) {
                    return k;
                }
            }
            throw new IllegalArgumentException("--model must be ladder, pooled or per-arm, got '" + text + "'");
        }
    }

    /** Boosting settings shared by every kind. */
    public record Settings(Kind kind, int maxRounds, int depth, long seed, Consumer<String> progress) {
    }

    /**
     * Predicted outcome of every evaluation unit under every arm, row-major ({@code units x arms}), and what the
     * training reported (rounds, validation metric).
     */
    public record Predictions(double[] mu, int units, int arms, Map<String, Object> summary) {
        public double at(int unit, int arm) {
            return mu[unit * arms + arm];
        }
    }

    private static final double VALIDATION_SHARE = 0.2;
    private static final int PATIENCE = 20;
    private static final double ETA = 0.1;
    private static final String COST_FEATURE = "arm_cost";

    private ArmModel() {
    }

    /** Checks that {@code kind} can model these arms: a ladder needs strictly increasing costs. */
    public static void check(Kind kind, List<String> arms, double[] costs) {
        if (kind != Kind.LADDER) {
            return;
        }
        if (costs.length > 0 && costs[0] < 0) {
            throw new IllegalArgumentException("--model ladder needs costs of 0 or more; " + arms.get(0) + " costs "
                    + costs[0] + ": use --model pooled or --model per-arm");
        }
        for (int j = 1; j < costs.length; j++) {
            if (!(costs[j] > costs[j - 1])) {
                throw new IllegalArgumentException("--model ladder needs --costs strictly increasing in --arms order"
                        + " (" + arms.get(j - 1) + " " + costs[j - 1] + ", " + arms.get(j) + " " + costs[j]
                        + "): for arms without an order or with equal costs use --model pooled or --model per-arm");
            }
        }
    }

    public static Predictions fit(LoggedData data, boolean[] train, int[] evalIndex, Settings settings) {
        check(settings.kind(), data.arms(), data.costs());
        return switch (settings.kind()) {
            case LADDER -> data.binaryOutcome() ? serviceLadder(data, train, evalIndex, settings)
                    : continuousLadder(data, train, evalIndex, settings);
            case POOLED -> pooled(data, train, evalIndex, settings);
            case PER_ARM -> perArm(data, train, evalIndex, settings);
        };
    }

    /** The service's path: {@link Trainer} (monotone in cost), then each unit's curve calibrated by isotonic. */
    private static Predictions serviceLadder(LoggedData data, boolean[] train, int[] evalIndex, Settings settings) {
        List<String> names = new ArrayList<>(data.featureNames());
        names.add(COST_FEATURE);
        FeatureSchema schema = new FeatureSchema(names, COST_FEATURE);
        int width = schema.size();
        int trainRows = count(train);
        float[] x = new float[trainRows * width];
        float[] y = new float[trainRows];
        String[] users = new String[trainRows];
        for (int i = 0, r = 0; i < data.rows(); i++) {
            if (train[i]) {
                System.arraycopy(data.features(), i * data.width(), x, r * width, data.width());
                x[r * width + width - 1] = (float) data.costs()[data.arm()[i]];
                y[r] = data.outcome()[i];
                users[r] = data.clusterNames().get(data.clusterIds()[i]);
                r++;
            }
        }
        List<Double> costs = new ArrayList<>();
        for (double c : data.costs()) {
            costs.add(c);
        }
        Trainer.Result trained = Trainer.train(new TrainingTable(new TrainingSet(schema, x, y, trainRows), users, null,
                        List.of()),
                new Trainer.Options(settings.maxRounds(), PATIENCE, settings.depth(), ETA, true, settings.seed(),
                        Runtime.getRuntime().availableProcessors(), VALIDATION_SHARE, Trainer.Split.USER, costs),
                "allot evaluate", settings.progress());
        TreeEnsemble model;
        try {
            model = TreeEnsemble.read(trained.model().toJson(), schema);
        } finally {
            trained.model().close();
        }
        // Prices play no part here; the ladder's base only has to exceed the costs.
        double[] ladderCosts = data.costs();
        Ladder ladder = new Ladder(ladderCosts[ladderCosts.length - 1] + 1, ladderCosts);
        ConversionScorer scorer = new ConversionScorer(model, ladder);
        int k = ladder.size();
        double[] mu = new double[evalIndex.length * k];
        float[] row = new float[width];
        for (int e = 0; e < evalIndex.length; e++) {
            System.arraycopy(data.features(), evalIndex[e] * data.width(), row, 0, data.width());
            row[width - 1] = Float.NaN;
            ConversionCurve curve = scorer.score(row);
            System.arraycopy(curve.calibrated(), 0, mu, e * k, k);
        }
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("kind", Kind.LADDER.label());
        summary.put("version", trained.card().version());
        summary.put("metrics", trained.card().metrics());
        return new Predictions(mu, evalIndex.length, k, summary);
    }

    /** A continuous outcome on a ladder: squared error, monotone in the cost, each unit's curve isotonic. */
    private static Predictions continuousLadder(LoggedData data, boolean[] train, int[] evalIndex,
                                                Settings settings) {
        int k = data.arms().size();
        int width = data.width() + 1;
        int[] monotone = new int[width];
        monotone[width - 1] = 1;
        Fitted fitted = boost(data, train, settings, width, monotone, (i, row) -> {
            System.arraycopy(data.features(), i * data.width(), row, 0, data.width());
            row[width - 1] = (float) data.costs()[data.arm()[i]];
        }, i -> true, "");
        float[] x = perArmRows(data, evalIndex, width, (row, j) -> row[width - 1] = (float) data.costs()[j]);
        double[] mu = predictOnce(fitted, x, evalIndex.length * k, width);
        double[] curve = new double[k];
        for (int e = 0; e < evalIndex.length; e++) {
            System.arraycopy(mu, e * k, curve, 0, k);
            Isotonic.fit(curve, curve, k);
            System.arraycopy(curve, 0, mu, e * k, k);
        }
        return new Predictions(mu, evalIndex.length, k, summary(Kind.LADDER, data, List.of(fitted)));
    }

    private static Predictions pooled(LoggedData data, boolean[] train, int[] evalIndex, Settings settings) {
        int k = data.arms().size();
        int width = data.width() + k;
        Fitted fitted = boost(data, train, settings, width, null, (i, row) -> {
            System.arraycopy(data.features(), i * data.width(), row, 0, data.width());
            for (int j = 0; j < k; j++) {
                row[data.width() + j] = data.arm()[i] == j ? 1f : 0f;
            }
        }, i -> true, "");
        float[] x = perArmRows(data, evalIndex, width, (row, j) -> row[data.width() + j] = 1f);
        double[] mu = predictOnce(fitted, x, evalIndex.length * k, width);
        return new Predictions(mu, evalIndex.length, k, summary(Kind.POOLED, data, List.of(fitted)));
    }

    private static Predictions perArm(LoggedData data, boolean[] train, int[] evalIndex, Settings settings) {
        int k = data.arms().size();
        int width = data.width();
        float[] x = new float[evalIndex.length * width];
        for (int e = 0; e < evalIndex.length; e++) {
            System.arraycopy(data.features(), evalIndex[e] * width, x, e * width, width);
        }
        double[] mu = new double[evalIndex.length * k];
        List<Fitted> models = new ArrayList<>();
        for (int j = 0; j < k; j++) {
            int arm = j;
            settings.progress().accept("arm " + data.arms().get(j));
            Fitted fitted = boost(data, train, settings, width, null,
                    (i, row) -> System.arraycopy(data.features(), i * width, row, 0, width),
                    i -> data.arm()[i] == arm, "of arm " + data.arms().get(j));
            double[] p = predictOnce(fitted, x, evalIndex.length, width);
            for (int e = 0; e < evalIndex.length; e++) {
                mu[e * k + j] = p[e];
            }
            models.add(fitted);
        }
        return new Predictions(mu, evalIndex.length, k, summary(Kind.PER_ARM, data, models));
    }

    private interface ArmColumns {
        void set(float[] row, int arm);
    }

    /**
     * Each evaluation unit's features once per arm ({@code units x arms} rows of {@code width}), the arm's own
     * columns (its cost, its indicator) set by {@code arm}.
     */
    private static float[] perArmRows(LoggedData data, int[] evalIndex, int width, ArmColumns arm) {
        int k = data.arms().size();
        float[] x = new float[evalIndex.length * k * width];
        float[] row = new float[width];
        for (int e = 0; e < evalIndex.length; e++) {
            for (int j = 0; j < k; j++) {
                java.util.Arrays.fill(row, 0f);
                System.arraycopy(data.features(), evalIndex[e] * data.width(), row, 0, data.width());
                arm.set(row, j);
                System.arraycopy(row, 0, x, (e * k + j) * width, width);
            }
        }
        return x;
    }

    private interface RowWriter {
        void write(int dataRow, float[] row);
    }

    private interface RowFilter {
        boolean test(int dataRow);
    }

    private record Fitted(Booster booster, Boosting.Rounds rounds, int rows) {
    }

    /**
     * Boosts on the training rows {@code filter} keeps: a seeded fifth of their clusters chooses the round, then
     * a model of that many rounds is fitted on the rest (as {@link Trainer} does).
     */
    private static Fitted boost(LoggedData data, boolean[] train, Settings settings, int width, int[] monotone,
                                RowWriter writer, RowFilter filter, String what) {
        List<Integer> fit = new ArrayList<>();
        List<Integer> valid = new ArrayList<>();
        for (int i = 0; i < data.rows(); i++) {
            if (train[i] && filter.test(i)) {
                String cluster = data.clusterNames().get(data.clusterIds()[i]);
                (StableHash.unit(settings.seed() + 1, cluster) < VALIDATION_SHARE ? valid : fit).add(i);
            }
        }
        if (fit.isEmpty() || valid.isEmpty()) {
            throw new IllegalArgumentException("too few training units " + what + " to fit a model and choose its"
                    + " rounds (" + fit.size() + " to fit, " + valid.size() + " to validate)");
        }
        Boosting.Objective objective = data.binaryOutcome() ? Boosting.Objective.BINARY
                : Boosting.Objective.REGRESSION;
        Map<String, Object> parameters = Boosting.parameters(objective, settings.depth(), ETA, settings.seed(),
                Runtime.getRuntime().availableProcessors(), monotone);
        DMatrix fitMatrix = null;
        DMatrix validMatrix = null;
        try {
            fitMatrix = matrix(data, fit, width, writer);
            validMatrix = matrix(data, valid, width, writer);
            Boosting.Rounds rounds = Boosting.bestRound(fitMatrix, validMatrix, parameters, settings.maxRounds(),
                    PATIENCE, settings.progress());
            return new Fitted(Boosting.fit(fitMatrix, parameters, rounds.best() + 1), rounds, fit.size());
        } finally {
            dispose(fitMatrix);
            dispose(validMatrix);
        }
    }

    private static DMatrix matrix(LoggedData data, List<Integer> rows, int width, RowWriter writer) {
        float[] x = new float[rows.size() * width];
        float[] y = new float[rows.size()];
        float[] row = new float[width];
        for (int r = 0; r < rows.size(); r++) {
            int i = rows.get(r);
            writer.write(i, row);
            System.arraycopy(row, 0, x, r * width, width);
            y[r] = data.outcome()[i];
        }
        try {
            DMatrix m = new DMatrix(x, rows.size(), width, Float.NaN);
            m.setLabel(y);
            return m;
        } catch (XGBoostError e) {
            throw new IllegalStateException("XGBoost matrix: " + e.getMessage(), e);
        }
    }

    /** Predicts with a fitted model and frees its native booster, whatever happens. */
    private static double[] predictOnce(Fitted fitted, float[] x, int rows, int width) {
        try {
            return predict(fitted.booster(), x, rows, width);
        } finally {
            fitted.booster().dispose();
        }
    }

    private static double[] predict(Booster booster, float[] x, int rows, int width) {
        DMatrix m = null;
        try {
            m = new DMatrix(x, rows, width, Float.NaN);
            float[][] p = booster.predict(m);
            double[] out = new double[rows];
            for (int i = 0; i < rows; i++) {
                out[i] = p[i][0];
            }
            return out;
        } catch (XGBoostError e) {
            throw new IllegalStateException("XGBoost prediction: " + e.getMessage(), e);
        } finally {
            dispose(m);
        }
    }

    private static void dispose(DMatrix m) {
        if (m != null) {
            m.dispose();
        }
    }

    private static Map<String, Object> summary(Kind kind, LoggedData data, List<Fitted> models) {
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("kind", kind.label());
        summary.put("objective", data.binaryOutcome() ? "log loss" : "squared error");
        List<Map<String, Object>> fitted = new ArrayList<>();
        for (int m = 0; m < models.size(); m++) {
            Fitted f = models.get(m);
            Map<String, Object> one = new LinkedHashMap<>();
            if (models.size() > 1) {
                one.put("arm", data.arms().get(m));
            }
            one.put("rows", f.rows());
            one.put("rounds", f.rounds().best() + 1);
            one.put("validation" + (data.binaryOutcome() ? "LogLoss" : "Rmse"), f.rounds().valid()[f.rounds().best()]);
            fitted.add(one);
        }
        summary.put("models", fitted);
        return summary;
    }

    private static int count(boolean[] mask) {
        int n = 0;
        for (boolean b : mask) {
            n += b ? 1 : 0;
        }
        return n;
    }
}
