package dev.allot.scoring;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Pure-Java evaluator of an XGBoost {@code binary:logistic} tree ensemble read from XGBoost's JSON model
 * format. It exists because a native XGBoost4J call costs ~100 µs per request on this hardware whatever the
 * batch size, while walking 200 small trees for K rows in Java costs a few microseconds. Equality with the
 * native library is checked by {@code TreeEnsembleEquivalenceTest} and, on every load, by
 * {@link ModelBundle}.
 *
 * <p>Layout: all trees are flattened into parallel arrays indexed by a global node id, so a prediction is a
 * tight loop over primitive arrays. A node is a leaf when {@code left[n] < 0}; its value is in
 * {@code threshold[n]}. Comparisons are done in {@code float}, as XGBoost does: {@code x < threshold} goes
 * left, a missing value ({@code NaN}) goes to the default child.
 */
public final class TreeEnsemble implements ConversionModel {

    private final FeatureSchema schema;
    private final int[] roots;
    private final int[] left;
    private final int[] right;
    private final int[] feature;
    private final float[] threshold;
    private final boolean[] defaultLeft;
    private final double baseMargin;

    private TreeEnsemble(FeatureSchema schema, int[] roots, int[] left, int[] right, int[] feature,
                         float[] threshold, boolean[] defaultLeft, double baseMargin) {
        this.schema = schema;
        this.roots = roots;
        this.left = left;
        this.right = right;
        this.feature = feature;
        this.threshold = threshold;
        this.defaultLeft = defaultLeft;
        this.baseMargin = baseMargin;
    }

    public static TreeEnsemble read(Path jsonModel, FeatureSchema schema) {
        try (InputStream in = Files.newInputStream(jsonModel)) {
            return read(in, schema, jsonModel.toString());
        } catch (IOException e) {
            throw new ModelFormatException("cannot read model " + jsonModel + ": " + e.getMessage(), e);
        }
    }

    public static TreeEnsemble read(byte[] jsonModel, FeatureSchema schema) {
        try {
            return parse(new ObjectMapper().readTree(jsonModel), schema, "<bytes>");
        } catch (IOException e) {
            throw new ModelFormatException("model is not valid JSON: " + e.getMessage(), e);
        }
    }

    static TreeEnsemble read(InputStream in, FeatureSchema schema, String source) throws IOException {
        return parse(new ObjectMapper().readTree(in), schema, source);
    }

    private static TreeEnsemble parse(JsonNode root, FeatureSchema schema, String source) {
        JsonNode learner = require(root, "learner", source);
        String objective = require(require(learner, "objective", source), "name", source).asText();
        if (!objective.equals("binary:logistic") && !objective.equals("reg:logistic")) {
            throw new ModelFormatException(source + ": objective must be binary:logistic or reg:logistic, got "
                    + objective);
        }
        JsonNode params = require(learner, "learner_model_param", source);
        int numFeature = Integer.parseInt(require(params, "num_feature", source).asText());
        if (numFeature != schema.size()) {
            throw new ModelFormatException(source + ": model has " + numFeature + " features but the model card's"
                    + " schema names " + schema.size() + " " + schema.names());
        }
        JsonNode names = learner.path("feature_names");
        if (names.isArray() && names.size() > 0) {
            List<String> modelNames = new ArrayList<>();
            names.forEach(n -> modelNames.add(n.asText()));
            if (!modelNames.equals(schema.names())) {
                throw new ModelFormatException(source + ": model feature names " + modelNames
                        + " differ from the model card's schema " + schema.names());
            }
        }
        float baseScore = Float.parseFloat(require(params, "base_score", source).asText()
                .replace("[", "").replace("]", ""));
        double baseMargin = (float) -Math.log(1.0f / baseScore - 1.0f);

        JsonNode booster = require(learner, "gradient_booster", source);
        String boosterName = booster.path("name").asText();
        if (!boosterName.equals("gbtree")) {
            throw new ModelFormatException(source + ": only the gbtree booster is supported, got " + boosterName);
        }
        JsonNode trees = require(require(booster, "model", source), "trees", source);
        int total = 0;
        for (JsonNode t : trees) {
            total += t.get("left_children").size();
        }
        int[] roots = new int[trees.size()];
        int[] left = new int[total];
        int[] right = new int[total];
        int[] feature = new int[total];
        float[] threshold = new float[total];
        boolean[] defaultLeft = new boolean[total];
        int offset = 0;
        for (int t = 0; t < trees.size(); t++) {
            JsonNode tree = trees.get(t);
            JsonNode splitType = tree.path("split_type");
            for (JsonNode s : splitType) {
                if (s.asInt() != 0) {
                    throw new ModelFormatException(source + ": tree " + t + " has a categorical split, unsupported");
                }
            }
            JsonNode l = tree.get("left_children");
            JsonNode r = tree.get("right_children");
            JsonNode f = tree.get("split_indices");
            JsonNode c = tree.get("split_conditions");
            JsonNode d = tree.get("default_left");
            int n = l.size();
            roots[t] = offset;
            for (int i = 0; i < n; i++) {
                int li = l.get(i).asInt();
                left[offset + i] = li < 0 ? -1 : offset + li;
                right[offset + i] = li < 0 ? -1 : offset + r.get(i).asInt();
                feature[offset + i] = f.get(i).asInt();
                if (li >= 0 && (feature[offset + i] < 0 || feature[offset + i] >= numFeature)) {
                    throw new ModelFormatException(source + ": tree " + t + " splits on feature "
                            + feature[offset + i] + " outside [0, " + numFeature + ")");
                }
                threshold[offset + i] = (float) c.get(i).asDouble();
                JsonNode dl = d.get(i);
                defaultLeft[offset + i] = dl.isBoolean() ? dl.asBoolean() : dl.asInt() != 0;
            }
            offset += n;
        }
        return new TreeEnsemble(schema, roots, left, right, feature, threshold, defaultLeft, baseMargin);
    }

    private static JsonNode require(JsonNode node, String field, String source) {
        JsonNode child = node.get(field);
        if (child == null || child.isNull()) {
            throw new ModelFormatException(source + ": not an XGBoost JSON model, missing '" + field + "'");
        }
        return child;
    }

    @Override
    public FeatureSchema schema() {
        return schema;
    }

    public int trees() {
        return roots.length;
    }

    @Override
    public void predict(float[] data, int rows, double[] out) {
        int width = schema.size();
        for (int row = 0; row < rows; row++) {
            out[row] = baseMargin;
        }
        // Trees outer, rows inner: a tree's nodes stay in cache while all K rows of an arrival walk it.
        for (int root : roots) {
            for (int row = 0, base = 0; row < rows; row++, base += width) {
                out[row] += leafValue(root, data, base);
            }
        }
        for (int row = 0; row < rows; row++) {
            out[row] = 1.0 / (1.0 + Math.exp(-out[row]));
        }
    }

    /**
     * All ladder levels of one arrival in one walk per tree. The K rows differ only in the coupon column, so
     * they follow the same path until a node splits on the coupon; there the ascending coupons divide into a
     * lower run that goes left and an upper run that goes right. Most nodes are visited once instead of K
     * times. Comparisons and the order of summation are those of {@link #predict}, so results are identical.
     */
    @Override
    public void predictLevels(float[] features, float[] coupons, double[] out) {
        int k = coupons.length;
        for (int j = 0; j < k; j++) {
            out[j] = baseMargin;
        }
        int couponColumn = schema.couponIndex();
        for (int root : roots) {
            walk(root, 0, k, features, couponColumn, coupons, out);
        }
        for (int j = 0; j < k; j++) {
            out[j] = 1.0 / (1.0 + Math.exp(-out[j]));
        }
    }

    private void walk(int node, int lo, int hi, float[] features, int couponColumn, float[] coupons, double[] out) {
        int n = node;
        int from = lo;
        int to = hi;
        while (left[n] >= 0) {
            int f = feature[n];
            if (f == couponColumn) {
                float t = threshold[n];
                int split = from;
                while (split < to && coupons[split] < t) {
                    split++;
                }
                if (split == to) {
                    n = left[n];
                } else if (split == from) {
                    n = right[n];
                } else {
                    walk(left[n], from, split, features, couponColumn, coupons, out);
                    n = right[n];
                    from = split;
                }
            } else {
                float x = features[f];
                if (x != x) {
                    n = defaultLeft[n] ? left[n] : right[n];
                } else {
                    n = x < threshold[n] ? left[n] : right[n];
                }
            }
        }
        float value = threshold[n];
        for (int j = from; j < to; j++) {
            out[j] += value;
        }
    }

    private float leafValue(int node, float[] data, int base) {
        int n = node;
        while (left[n] >= 0) {
            float x = data[base + feature[n]];
            if (x != x) {
                n = defaultLeft[n] ? left[n] : right[n];
            } else {
                n = x < threshold[n] ? left[n] : right[n];
            }
        }
        return threshold[n];
    }
}
