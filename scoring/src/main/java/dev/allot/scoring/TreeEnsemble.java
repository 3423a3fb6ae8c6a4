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
 * Pure-Java evaluator of an XGBoost {@code binary:logistic} (or, for a value model, {@code reg:squarederror}) tree
 * ensemble read from XGBoost's JSON model
 * format. It exists because a native XGBoost4J call costs ~100 µs per request on this hardware whatever the
 * batch size, while walking 200 small trees for K rows in Java costs a few microseconds. Equality with the
 * native library is checked by {@code TreeEnsembleEquivalenceTest} and, on every load, by
 * {@link ModelBundle}.
 *
 * <p>Two layouts. Row-by-row prediction, and the ladder walk of a model with a tree of more than 64 leaves,
 * walk the trees linked depth-first in one {@code int[]}, three ints a node: the split's feature (with the
 * default-direction bit) or {@link #LEAF}, the threshold's (or leaf value's) float bits, and the right child's
 * position; the left child is the next node. The per-arrival ladder walk of any other model uses
 * {@link FalseNodes}, bit vectors with no dependent loads: 2.2× faster than walking the trees
 * (docs/benchmarks.md). Comparisons are done in {@code float}, as XGBoost does: {@code x < threshold} goes left,
 * a missing value ({@code NaN}) goes to the default child; both layouts sum the trees in the same order, so
 * they give identical doubles.
 */
public final class TreeEnsemble implements ConversionModel {

    /** Node stride in {@link #nodes}. */
    static final int NODE = 3;
    /** The first int of a leaf. */
    static final int LEAF = -1;
    /** Set in a split's first int when a missing value goes left. */
    static final int DEFAULT_LEFT = 1 << 30;
    static final int FEATURE_MASK = DEFAULT_LEFT - 1;

    private final FeatureSchema schema;
    private final int[] roots;
    private final int[] nodes;
    private final double baseMargin;
    /** A probability (the sum of leaves through the logistic function) or a mean (the sum itself). */
    private final boolean logistic;
    /** The bit-vector layout of the ladder walk, or null when a tree has more than 64 leaves. */
    private final FalseNodes falseNodes;
    private final ThreadLocal<long[]> exits;
    private final int couponColumn;

    private TreeEnsemble(FeatureSchema schema, int[] roots, int[] nodes, double baseMargin, boolean logistic) {
        this.schema = schema;
        this.roots = roots;
        this.nodes = nodes;
        this.baseMargin = baseMargin;
        this.logistic = logistic;
        this.falseNodes = FalseNodes.of(roots, nodes, schema.size());
        this.exits = ThreadLocal.withInitial(() -> new long[roots.length]);
        this.couponColumn = schema.couponIndex();
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
        boolean logistic = objective.equals("binary:logistic") || objective.equals("reg:logistic");
        if (!logistic && !objective.equals("reg:squarederror")) {
            throw new ModelFormatException(source + ": objective must be binary:logistic, reg:logistic or"
                    + " reg:squarederror, got " + objective);
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
        // A probability's base score is stored as the probability; a mean's is the margin itself.
        double baseMargin = logistic ? (float) -Math.log(1.0f / baseScore - 1.0f) : baseScore;

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
        int[] nodes = new int[total * NODE];
        int offset = 0;
        for (int t = 0; t < trees.size(); t++) {
            JsonNode tree = trees.get(t);
            JsonNode splitType = tree.path("split_type");
            for (JsonNode s : splitType) {
                if (s.asInt() != 0) {
                    throw new ModelFormatException(source + ": tree " + t + " has a categorical split, unsupported");
                }
            }
            roots[t] = offset;
            offset = layOut(tree, 0, 0, nodes, offset, numFeature, source + ": tree " + t);
            int size = tree.get("left_children").size();
            if (offset != roots[t] + size * NODE) {
                throw new ModelFormatException(source + ": tree " + t + " has " + size + " nodes but "
                        + (offset - roots[t]) / NODE + " are reachable from its root");
            }
        }
        return new TreeEnsemble(schema, roots, nodes, baseMargin, logistic);
    }

    /** Writes XGBoost node {@code id} and its subtree depth-first from {@code at}; returns the next free slot. */
    private static int layOut(JsonNode tree, int id, int depth, int[] nodes, int at, int numFeature,
                              String where) {
        int n = tree.get("left_children").size();
        if (id < 0 || id >= n) {
            throw new ModelFormatException(where + " refers to node " + id + " outside [0, " + n + ")");
        }
        if (depth >= n || at >= nodes.length) {
            throw new ModelFormatException(where + " is not a tree: a node is reached twice");
        }
        int leftChild = tree.get("left_children").get(id).asInt();
        float condition = (float) tree.get("split_conditions").get(id).asDouble();
        nodes[at + 1] = Float.floatToRawIntBits(condition);
        if (leftChild < 0) {
            nodes[at] = LEAF;
            return at + NODE;
        }
        int f = tree.get("split_indices").get(id).asInt();
        if (f < 0 || f >= numFeature) {
            throw new ModelFormatException(where + " splits on feature " + f + " outside [0, " + numFeature + ")");
        }
        JsonNode d = tree.get("default_left").get(id);
        boolean defaultLeft = d.isBoolean() ? d.asBoolean() : d.asInt() != 0;
        nodes[at] = f | (defaultLeft ? DEFAULT_LEFT : 0);
        int rightAt = layOut(tree, leftChild, depth + 1, nodes, at + NODE, numFeature, where);
        nodes[at + 2] = rightAt;
        return layOut(tree, tree.get("right_children").get(id).asInt(), depth + 1, nodes, rightAt, numFeature,
                where);
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

    /** Whether the ladder walk runs on bit vectors (every tree has at most 64 leaves). */
    boolean bitVectorWalk() {
        return falseNodes != null;
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
        if (logistic) {
            for (int row = 0; row < rows; row++) {
                out[row] = 1.0 / (1.0 + Math.exp(-out[row]));
            }
        }
    }

    /**
     * All ladder levels of one arrival ({@code coupons} ascending, as a {@link Ladder}'s are): on bit vectors
     * ({@link FalseNodes}) when every tree has at most 64 leaves, otherwise in one walk per tree. The K rows
     * differ only in the coupon column, so they follow the same path until a node splits on the coupon; there
     * the ascending coupons divide into a lower run that goes left and an upper run that goes right. Comparisons
     * and the order of summation are those of {@link #predict}, so results are identical.
     */
    @Override
    public void predictLevels(float[] features, float[] coupons, double[] out) {
        int k = coupons.length;
        for (int j = 0; j < k; j++) {
            out[j] = baseMargin;
        }
        if (falseNodes != null) {
            falseNodes.score(features, couponColumn, coupons, exits.get(), baseMargin, out);
        } else {
            for (int root : roots) {
                walk(root, 0, k, features, couponColumn, coupons, out);
            }
        }
        if (logistic) {
            for (int j = 0; j < k; j++) {
                out[j] = 1.0 / (1.0 + Math.exp(-out[j]));
            }
        }
    }

    private void walk(int node, int lo, int hi, float[] features, int couponColumn, float[] coupons, double[] out) {
        int[] nodes = this.nodes;
        int n = node;
        int from = lo;
        int to = hi;
        int split;
        while ((split = nodes[n]) != LEAF) {
            int f = split & FEATURE_MASK;
            float t = Float.intBitsToFloat(nodes[n + 1]);
            if (f == couponColumn) {
                int cut = from;
                while (cut < to && coupons[cut] < t) {
                    cut++;
                }
                if (cut == to) {
                    n += NODE;
                } else if (cut == from) {
                    n = nodes[n + 2];
                } else {
                    walk(n + NODE, from, cut, features, couponColumn, coupons, out);
                    n = nodes[n + 2];
                    from = cut;
                }
            } else {
                n = goesLeft(features[f], t, split) ? n + NODE : nodes[n + 2];
            }
        }
        float value = Float.intBitsToFloat(nodes[n + 1]);
        for (int j = from; j < to; j++) {
            out[j] += value;
        }
    }

    private static boolean goesLeft(float x, float threshold, int split) {
        return x != x ? (split & DEFAULT_LEFT) != 0 : x < threshold;
    }

    private float leafValue(int node, float[] data, int base) {
        int[] nodes = this.nodes;
        int n = node;
        int split;
        while ((split = nodes[n]) != LEAF) {
            float t = Float.intBitsToFloat(nodes[n + 1]);
            n = goesLeft(data[base + (split & FEATURE_MASK)], t, split) ? n + NODE : nodes[n + 2];
        }
        return Float.intBitsToFloat(nodes[n + 1]);
    }
}
