package dev.allot.scoring.training;

import dev.allot.scoring.FeatureSchema;
import dev.allot.scoring.ModelCard;
import dev.allot.scoring.StableHash;
import dev.allot.scoring.TreeEnsemble;
import dev.allot.scoring.XGBoostModel;
import ml.dmlc.xgboost4j.java.DMatrix;
import ml.dmlc.xgboost4j.java.XGBoostError;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.stream.IntStream;

/**
 * Trains a conversion model from logged traffic: a validation split that never puts one user (or one moment)
 * on both sides, early stopping on validation log loss, a monotone constraint in the coupon (by default),
 * and a model card with the validation metrics. Blocking and CPU-heavy: a command, never an event loop.
 */
public final class Trainer {

    /** How validation rows are chosen: the latest rows, or a hash-chosen set of users. */
    public enum Split { TIME, USER }

    /**
     * @param ladder coupon values to check curve monotonicity over; empty: the coupons seen in the data
     */
    public record Options(int maxRounds, int earlyStopping, int maxDepth, double eta, boolean monotone, long seed,
                          int threads, double validationShare, Split split, List<Double> ladder) {
        public Options {
            if (maxRounds < 1 || earlyStopping < 1 || maxDepth < 1 || !(eta > 0 && eta <= 1)) {
                throw new IllegalArgumentException("rounds, early stopping and depth must be >= 1, eta in (0, 1]");
            }
            if (!(validationShare > 0 && validationShare < 1)) {
                throw new IllegalArgumentException("validation share must be in (0, 1), got " + validationShare);
            }
            ladder = ladder == null ? List.of() : List.copyOf(ladder);
        }
    }

    /** The trained model and its card. */
    public record Result(XGBoostModel model, ModelCard card) {
    }

    private Trainer() {
    }

    public static Result train(TrainingTable table, Options options, String provenance) {
        return train(table, options, provenance, Boosting.STDERR);
    }

    /** {@link #train} with the boosting rounds' progress lines sent to {@code progress}. */
    public static Result train(TrainingTable table, Options options, String provenance, Consumer<String> progress) {
        TrainingSet all = table.data();
        Split split = options.split() != null ? options.split() : table.times() != null ? Split.TIME : Split.USER;
        boolean[] validation = validationRows(table, split, options.validationShare());
        if (options.split() == null && split == Split.TIME && table.users() != null && allTrue(validation)) {
            // Every row at the same instant: time cannot separate them, users still can.
            split = Split.USER;
            validation = validationRows(table, split, options.validationShare());
        }
        TrainingSet train = subset(all, validation, false);
        TrainingSet valid = subset(all, validation, true);
        if (train.rows() == 0 || valid.rows() == 0) {
            throw new IllegalArgumentException("the " + split + " split left " + train.rows() + " training and "
                    + valid.rows() + " validation rows");
        }
        ModelTrainer.Parameters base = new ModelTrainer.Parameters(options.maxRounds(), options.maxDepth(),
                options.eta(), options.monotone(), options.seed(), options.threads());
        int best = bestRound(train, valid, base, options, progress);
        ModelTrainer.Parameters finalParams = new ModelTrainer.Parameters(best + 1, options.maxDepth(), options.eta(),
                options.monotone(), options.seed(), options.threads());
        XGBoostModel model = ModelTrainer.train(train, finalParams);

        double[] predicted = new double[valid.rows()];
        model.predict(valid.features(), valid.rows(), predicted);
        List<Double> ladder = options.ladder().isEmpty() ? observedCoupons(all) : options.ladder();
        byte[] json = model.toJson();
        double nonMonotone = nonMonotoneShare(TreeEnsemble.read(json, all.schema()), valid, ladder);

        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("auc", Evaluation.auc(predicted, valid.labels()));
        metrics.put("logLoss", Evaluation.logLoss(predicted, valid.labels()));
        metrics.put("pcoc", Evaluation.pcoc(predicted, valid.labels()));
        metrics.put("nonMonotoneRawShare", nonMonotone);
        metrics.put("validationRows", (double) valid.rows());
        metrics.put("validationConversionRate", mean(valid.labels()));
        Map<String, Object> parameters = new LinkedHashMap<>();
        parameters.put("objective", "binary:logistic");
        parameters.put("rounds", best + 1);
        parameters.put("maxRounds", options.maxRounds());
        parameters.put("earlyStopping", options.earlyStopping());
        parameters.put("maxDepth", options.maxDepth());
        parameters.put("eta", options.eta());
        parameters.put("monotoneInCoupon", options.monotone());
        parameters.put("seed", options.seed());
        parameters.put("split", split.name().toLowerCase(java.util.Locale.ROOT));
        parameters.put("validationShare", options.validationShare());
        parameters.put("refusedColumns", table.refused());
        if (!table.encodings().isEmpty()) {
            // A text feature's value is sent to the model as its code here.
            parameters.put("encodings", table.encodings());
        }
        Instant now = Instant.now();
        String version = "m-" + DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC).format(now)
                + "-" + digest(json);
        ModelCard card = new ModelCard(version, all.schema().names(), all.schema().couponFeature(), ladder,
                now.toString(), train.rows(), parameters, metrics, Evaluation.deciles(predicted, valid.labels()),
                provenance);
        return new Result(model, card);
    }

    /**
     * A value model: what a conversion brings in (the value column, e.g. the revenue paid), learned by squared error
     * from the converted rows with the coupon as a feature, with the conversion model's split and early stopping.
     * The service prices each arrival's levels with it where the city's objective counts revenue.
     */
    public static Result trainValue(TrainingTable table, Options options, String provenance,
                                    Consumer<String> progress) {
        return trainValue(table, options, provenance, progress, null);
    }

    /** {@link #trainValue} for the conversion model {@code conversionVersion}, which its card names. */
    public static Result trainValue(TrainingTable table, Options options, String provenance,
                                    Consumer<String> progress, String conversionVersion) {
        if (table.values() == null) {
            throw new IllegalArgumentException("no value column was read");
        }
        TrainingSet all = table.data();
        int width = all.schema().size();
        List<Integer> kept = new ArrayList<>();
        for (int i = 0; i < all.rows(); i++) {
            if (all.labels()[i] == 1f && !Float.isNaN(table.values()[i])) {
                kept.add(i);
            }
        }
        if (kept.size() < MIN_VALUE_ROWS) {
            throw new IllegalArgumentException("a value model needs at least " + MIN_VALUE_ROWS + " converted rows with"
                    + " a value; the file has " + kept.size());
        }
        float[] x = new float[kept.size() * width];
        float[] y = new float[kept.size()];
        String[] users = table.users() == null ? null : new String[kept.size()];
        long[] times = table.times() == null ? null : new long[kept.size()];
        for (int r = 0; r < kept.size(); r++) {
            int i = kept.get(r);
            System.arraycopy(all.features(), i * width, x, r * width, width);
            y[r] = table.values()[i];
            if (users != null) {
                users[r] = table.users()[i];
            }
            if (times != null) {
                times[r] = table.times()[i];
            }
        }
        TrainingTable converted = new TrainingTable(new TrainingSet(all.schema(), x, y, kept.size()), users, times,
                table.refused(), table.encodings(), null);
        Split split = options.split() != null ? options.split() : times != null ? Split.TIME : Split.USER;
        boolean[] validation = validationRows(converted, split, options.validationShare());
        TrainingSet train = subset(converted.data(), validation, false);
        TrainingSet valid = subset(converted.data(), validation, true);
        if (train.rows() == 0 || valid.rows() == 0) {
            throw new IllegalArgumentException("the " + split + " split left " + train.rows() + " training and "
                    + valid.rows() + " validation rows for the value model");
        }
        Map<String, Object> parameters = Boosting.parameters(Boosting.Objective.REGRESSION, options.maxDepth(),
                options.eta(), options.seed(), options.threads(), null);
        DMatrix dtrain = null;
        DMatrix dvalid = null;
        try {
            dtrain = matrix(train);
            dvalid = matrix(valid);
            Boosting.Rounds rounds = Boosting.bestRound(dtrain, dvalid, parameters, options.maxRounds(),
                    options.earlyStopping(), progress);
            XGBoostModel model = new XGBoostModel(Boosting.fit(dtrain, parameters, rounds.best() + 1), all.schema());
            double[] predicted = new double[valid.rows()];
            try {
                model.predict(valid.features(), valid.rows(), predicted);
            } catch (RuntimeException e) {
                model.close();
                throw e;
            }
            double mean = mean(train.labels());
            double rmse = 0;
            double baseline = 0;
            for (int i = 0; i < valid.rows(); i++) {
                rmse += Math.pow(predicted[i] - valid.labels()[i], 2);
                baseline += Math.pow(mean - valid.labels()[i], 2);
            }
            Map<String, Double> metrics = new LinkedHashMap<>();
            metrics.put("rmse", Math.sqrt(rmse / valid.rows()));
            metrics.put("rmseOfTheMean", Math.sqrt(baseline / valid.rows()));
            metrics.put("validationRows", (double) valid.rows());
            metrics.put("meanValue", mean);
            Map<String, Object> card = new LinkedHashMap<>();
            card.put("objective", "reg:squarederror");
            card.put("rounds", rounds.best() + 1);
            card.put("maxRounds", options.maxRounds());
            card.put("maxDepth", options.maxDepth());
            card.put("eta", options.eta());
            card.put("seed", options.seed());
            card.put("split", split.name().toLowerCase(java.util.Locale.ROOT));
            card.put("rows", "converted rows with a value");
            if (conversionVersion != null) {
                // A value model serves beside the conversion model it was trained with, never another.
                card.put("conversionModel", conversionVersion);
            }
            byte[] json = model.toJson();
            String version = "v-" + DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC)
                    .format(Instant.now()) + "-" + digest(json);
            return new Result(model, new ModelCard(version, all.schema().names(), all.schema().couponFeature(),
                    options.ladder(), Instant.now().toString(), train.rows(), card, metrics, List.of(), provenance));
        } catch (XGBoostError e) {
            throw new IllegalStateException("XGBoost training failed: " + e.getMessage(), e);
        } finally {
            dispose(dtrain, dvalid);
        }
    }

    private static final int MIN_VALUE_ROWS = 50;

    private static void dispose(DMatrix... matrices) {
        for (DMatrix m : matrices) {
            if (m != null) {
                m.dispose();
            }
        }
    }

    private static int bestRound(TrainingSet train, TrainingSet valid, ModelTrainer.Parameters params,
                                 Options options, Consumer<String> progress) {
        DMatrix dtrain = null;
        DMatrix dvalid = null;
        try {
            dtrain = matrix(train);
            dvalid = matrix(valid);
            return Boosting.bestRound(dtrain, dvalid, params.boosterParams(train), options.maxRounds(),
                    options.earlyStopping(), progress).best();
        } catch (XGBoostError e) {
            throw new IllegalStateException("XGBoost training failed: " + e.getMessage(), e);
        } finally {
            dispose(dtrain, dvalid);
        }
    }

    private static DMatrix matrix(TrainingSet data) throws XGBoostError {
        DMatrix m = new DMatrix(data.features(), data.rows(), data.schema().size(), Float.NaN);
        m.setLabel(data.labels());
        m.setFeatureNames(data.schema().names().toArray(String[]::new));
        return m;
    }

    static boolean[] validationRows(TrainingTable table, Split split, double share) {
        int n = table.data().rows();
        boolean[] validation = new boolean[n];
        if (split == Split.TIME) {
            if (table.times() == null) {
                throw new IllegalArgumentException("a time split needs a time column");
            }
            long[] times = table.times();
            Integer[] order = IntStream.range(0, n).boxed().toArray(Integer[]::new);
            Arrays.sort(order, (a, b) -> Long.compare(times[a], times[b]));
            long cutoff = times[order[(int) Math.min(n - 1, Math.floor(n * (1 - share)))]];
            // Rows at the cutoff instant all go to validation: one moment is never on both sides.
            for (int i = 0; i < n; i++) {
                validation[i] = times[i] >= cutoff;
            }
        } else {
            if (table.users() == null) {
                throw new IllegalArgumentException("a user split needs a user column");
            }
            for (int i = 0; i < n; i++) {
                validation[i] = StableHash.unit(0, table.users()[i]) < share;
            }
        }
        return validation;
    }

    private static TrainingSet subset(TrainingSet all, boolean[] mask, boolean keep) {
        int width = all.schema().size();
        int rows = 0;
        for (boolean m : mask) {
            rows += m == keep ? 1 : 0;
        }
        float[] x = new float[rows * width];
        float[] y = new float[rows];
        int r = 0;
        for (int i = 0; i < all.rows(); i++) {
            if (mask[i] == keep) {
                System.arraycopy(all.features(), i * width, x, r * width, width);
                y[r++] = all.labels()[i];
            }
        }
        return new TrainingSet(all.schema(), x, y, rows);
    }

    private static List<Double> observedCoupons(TrainingSet data) {
        TreeSet<Double> coupons = new TreeSet<>();
        int width = data.schema().size();
        int column = data.schema().couponIndex();
        for (int i = 0; i < data.rows() && coupons.size() <= 64; i++) {
            float c = data.features()[i * width + column];
            if (!Float.isNaN(c)) {
                coupons.add((double) c);
            }
        }
        return new ArrayList<>(coupons);
    }

    /** Share of rows whose raw curve over the ladder decreases somewhere (before isotonic calibration). */
    static double nonMonotoneShare(TreeEnsemble model, TrainingSet rows, List<Double> ladder) {
        FeatureSchema schema = rows.schema();
        int width = schema.size();
        float[] coupons = new float[ladder.size()];
        for (int j = 0; j < coupons.length; j++) {
            coupons[j] = ladder.get(j).floatValue();
        }
        double[] curve = new double[coupons.length];
        float[] features = new float[width];
        long bad = 0;
        for (int i = 0; i < rows.rows(); i++) {
            System.arraycopy(rows.features(), i * width, features, 0, width);
            model.predictLevels(features, coupons, curve);
            for (int j = 1; j < curve.length; j++) {
                if (curve[j] < curve[j - 1]) {
                    bad++;
                    break;
                }
            }
        }
        return rows.rows() == 0 ? 0 : (double) bad / rows.rows();
    }

    private static boolean allTrue(boolean[] a) {
        for (boolean b : a) {
            if (!b) {
                return false;
            }
        }
        return true;
    }

    private static double mean(float[] a) {
        double s = 0;
        for (float v : a) {
            s += v;
        }
        return a.length == 0 ? 0 : s / a.length;
    }

    private static String digest(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)).substring(0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
