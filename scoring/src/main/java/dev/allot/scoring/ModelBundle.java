package dev.allot.scoring;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * A model directory: {@code model.json} (read by the fast evaluator), {@code model.ubj} (XGBoost's binary
 * form, for native batch scoring) and {@code model-card.json}. Loading checks that the three agree: the
 * card's schema against the model, and the evaluator against native XGBoost on random rows with missing
 * values, so a model that would score differently in Java is refused before it serves. A directory may also hold
 * a value model ({@code value.json}, {@code value.ubj}, {@code value-card.json}): what a conversion brings in at
 * each coupon, checked the same way.
 *
 * @param value the value model, or null
 */
public record ModelBundle(ModelCard card, TreeEnsemble evaluator, Path directory, ValueModel value) {

    public static final String JSON_MODEL = "model.json";
    public static final String UBJ_MODEL = "model.ubj";
    public static final String CARD = "model-card.json";
    public static final String VALUE_JSON = "value.json";
    public static final String VALUE_UBJ = "value.ubj";
    public static final String VALUE_CARD = "value-card.json";

    /** A value model and its card. */
    public record ValueModel(ModelCard card, TreeEnsemble evaluator) {
    }

    public ModelBundle(ModelCard card, TreeEnsemble evaluator, Path directory) {
        this(card, evaluator, directory, null);
    }
    /** Largest accepted |evaluator - native| on the load-time check. */
    public static final double EQUIVALENCE_TOLERANCE = 1e-6;

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public static ModelBundle load(Path directory) {
        Loaded main = loadModel(directory, CARD, JSON_MODEL, UBJ_MODEL);
        ValueModel value = null;
        if (Files.isRegularFile(directory.resolve(VALUE_CARD))) {
            Loaded v = loadModel(directory, VALUE_CARD, VALUE_JSON, VALUE_UBJ);
            if (!v.card().features().equals(main.card().features())) {
                throw new ModelFormatException(directory + ": the value model reads " + v.card().features()
                        + " but the conversion model " + main.card().features());
            }
            Object trainedWith = v.card().parameters().get("conversionModel");
            if (trainedWith != null && !trainedWith.equals(main.card().version())) {
                throw new ModelFormatException(directory + ": the value model was trained with conversion model "
                        + trainedWith + ", this directory's is " + main.card().version() + ": train them together");
            }
            value = new ValueModel(v.card(), v.evaluator());
        }
        return new ModelBundle(main.card(), main.evaluator(), directory, value);
    }

    private record Loaded(ModelCard card, TreeEnsemble evaluator) {
    }

    private static Loaded loadModel(Path directory, String cardName, String jsonName, String ubjName) {
        Path cardFile = directory.resolve(cardName);
        if (!Files.isRegularFile(cardFile)) {
            throw new ModelFormatException("model directory " + directory + " has no " + cardName);
        }
        ModelCard card;
        try {
            card = JSON.readValue(cardFile.toFile(), ModelCard.class);
        } catch (IOException e) {
            throw new ModelFormatException(cardFile + " is not a valid model card: " + e.getMessage(), e);
        }
        FeatureSchema schema;
        try {
            schema = card.schema();
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(cardFile + ": " + e.getMessage(), e);
        }
        Path json = directory.resolve(jsonName);
        if (!Files.isRegularFile(json)) {
            throw new ModelFormatException("model directory " + directory + " has no " + jsonName);
        }
        TreeEnsemble evaluator = TreeEnsemble.read(json, schema);
        Path ubj = directory.resolve(ubjName);
        if (Files.isRegularFile(ubj)) {
            try (XGBoostModel nativeModel = XGBoostModel.load(ubj, schema)) {
                double diff = maxDifference(evaluator, nativeModel, 512, 42L);
                if (diff > EQUIVALENCE_TOLERANCE) {
                    throw new ModelFormatException(directory + ": " + jsonName + " and " + ubjName
                            + " disagree by up to " + diff + " (tolerance " + EQUIVALENCE_TOLERANCE + ")");
                }
            }
        }
        return new Loaded(card, evaluator);
    }

    public static void write(Path directory, XGBoostModel model, ModelCard card) throws IOException {
        Files.createDirectories(directory);
        Files.write(directory.resolve(JSON_MODEL), model.toJson());
        Files.write(directory.resolve(UBJ_MODEL), model.toUbj());
        JSON.writeValue(directory.resolve(CARD).toFile(), card);
    }

    /** Adds a value model to a model directory. */
    public static void writeValue(Path directory, XGBoostModel model, ModelCard card) throws IOException {
        Files.createDirectories(directory);
        Files.write(directory.resolve(VALUE_JSON), model.toJson());
        Files.write(directory.resolve(VALUE_UBJ), model.toUbj());
        JSON.writeValue(directory.resolve(VALUE_CARD).toFile(), card);
    }

    public String version() {
        return card.version();
    }

    /**
     * Largest difference between two models' predictions over {@code rows} random rows drawn around the range of
     * each split (a quarter of the values missing): absolute for probabilities, relative to the prediction's size
     * beyond 1 (a value model predicts amounts, whose float sums differ in their last bits).
     */
    public static double maxDifference(ConversionModel a, ConversionModel b, int rows, long seed) {
        int width = a.schema().size();
        float[] data = randomRows(rows, width, seed);
        double[] pa = new double[rows];
        double[] pb = new double[rows];
        a.predict(data, rows, pa);
        b.predict(data, rows, pb);
        double max = 0;
        for (int i = 0; i < rows; i++) {
            max = Math.max(max, Math.abs(pa[i] - pb[i]) / Math.max(1, Math.abs(pa[i])));
        }
        return max;
    }

    /** Rows with values spread over several magnitudes, negative ones, and a quarter missing. */
    public static float[] randomRows(int rows, int width, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] data = new float[rows * width];
        for (int i = 0; i < data.length; i++) {
            double u = random.nextDouble();
            if (u < 0.25) {
                data[i] = Float.NaN;
            } else {
                double scale = Math.pow(10, random.nextInt(-1, 4));
                data[i] = (float) ((random.nextDouble() * 2 - 0.5) * scale);
            }
        }
        return data;
    }
}
