package dev.allot.scoring;

import java.util.Arrays;

import static dev.allot.scoring.TreeEnsemble.DEFAULT_LEFT;
import static dev.allot.scoring.TreeEnsemble.FEATURE_MASK;
import static dev.allot.scoring.TreeEnsemble.LEAF;
import static dev.allot.scoring.TreeEnsemble.NODE;

/**
 * The ladder walk as bit vectors (QuickScorer, Lucchese et al., SIGIR 2015), for ensembles whose trees have at
 * most 64 leaves (any depth-6 model). Each tree's leaves, numbered left to right, are the bits of one
 * {@code long}. A split whose test is false for the arrival (the value is not below the threshold, or is missing
 * and the default is right) rules out every leaf of its left subtree; the exit leaf is the leftmost leaf no false
 * split ruled out, the lowest set bit. Splits are grouped by feature and sorted by threshold, so the false ones
 * of a feature are a prefix found by one scan, and no step depends on the one before it: walking a tree is a
 * chain of dependent loads and mispredicted branches, this is a few independent ANDs.
 *
 * <p>The ladder's levels differ only in the coupon: the other features' false splits are applied once, then
 * the coupon's splits with thresholds up to each ascending coupon in turn, reading all exits after each.
 */
final class FalseNodes {

    private static final int LEAVES = 64;

    /** Splits of feature f are [start[f], start[f + 1]), sorted by threshold. */
    private final int[] start;
    private final float[] threshold;
    private final int[] tree;
    /** Ones everywhere except the split's left-subtree leaves. */
    private final long[] mask;
    private final boolean[] defaultLeft;
    /** Leaf value of tree t's leaf i at {@code t * 64 + i}. */
    private final float[] leaf;

    private FalseNodes(int[] start, float[] threshold, int[] tree, long[] mask, boolean[] defaultLeft,
                       float[] leaf) {
        this.start = start;
        this.threshold = threshold;
        this.tree = tree;
        this.mask = mask;
        this.defaultLeft = defaultLeft;
        this.leaf = leaf;
    }

    /** Null when a tree has more than 64 leaves. */
    static FalseNodes of(int[] roots, int[] nodes, int width) {
        Builder b = new Builder(roots.length, nodes.length / NODE, nodes);
        for (int t = 0; t < roots.length; t++) {
            if (b.number(roots[t], t, 0) > LEAVES) {
                return null;
            }
        }
        return b.build(width);
    }

    /**
     * Writes each level's margin (before the sigmoid) into {@code out}: {@code baseMargin} plus the exit
     * leaves' values summed in tree order, as a row-by-row walk sums them. {@code coupons} must ascend;
     * {@code exits} holds one long per tree and is overwritten.
     */
    void score(float[] features, int couponColumn, float[] coupons, long[] exits, double baseMargin,
               double[] out) {
        Arrays.fill(exits, -1L);
        for (int f = 0; f < features.length; f++) {
            if (f != couponColumn) {
                applyFalse(f, features[f], exits);
            }
        }
        int n = start[couponColumn];
        int end = start[couponColumn + 1];
        for (int j = 0; j < coupons.length; j++) {
            float c = coupons[j];
            for (; n < end && threshold[n] <= c; n++) {
                exits[tree[n]] &= mask[n];
            }
            double sum = baseMargin;
            for (int t = 0, base = 0; t < exits.length; t++, base += LEAVES) {
                sum += leaf[base + Long.numberOfTrailingZeros(exits[t])];
            }
            out[j] = sum;
        }
    }

    private void applyFalse(int f, float x, long[] exits) {
        int end = start[f + 1];
        if (x != x) {
            for (int n = start[f]; n < end; n++) {
                if (!defaultLeft[n]) {
                    exits[tree[n]] &= mask[n];
                }
            }
        } else {
            for (int n = start[f]; n < end && threshold[n] <= x; n++) {
                exits[tree[n]] &= mask[n];
            }
        }
    }

    private static final class Builder {
        private final int[] nodes;
        private final float[] leaf;
        private final int[] splitFeature;
        private final float[] splitThreshold;
        private final int[] splitTree;
        private final long[] splitMask;
        private final boolean[] splitDefaultLeft;
        private int splits;

        Builder(int trees, int maxSplits, int[] nodes) {
            this.nodes = nodes;
            this.leaf = new float[trees * LEAVES];
            this.splitFeature = new int[maxSplits];
            this.splitThreshold = new float[maxSplits];
            this.splitTree = new int[maxSplits];
            this.splitMask = new long[maxSplits];
            this.splitDefaultLeft = new boolean[maxSplits];
        }

        /** Numbers node n's leaves from {@code first}; returns how many it has (stops counting past 64). */
        int number(int n, int t, int first) {
            if (nodes[n] == LEAF) {
                if (first < LEAVES) {
                    leaf[t * LEAVES + first] = Float.intBitsToFloat(nodes[n + 1]);
                }
                return 1;
            }
            int left = number(n + NODE, t, first);
            int right = number(nodes[n + 2], t, first + left);
            if (first + left + right <= LEAVES) {
                long leftLeaves = (left == LEAVES ? -1L : (1L << left) - 1) << first;
                splitFeature[splits] = nodes[n] & FEATURE_MASK;
                splitThreshold[splits] = Float.intBitsToFloat(nodes[n + 1]);
                splitTree[splits] = t;
                splitMask[splits] = ~leftLeaves;
                splitDefaultLeft[splits] = (nodes[n] & DEFAULT_LEFT) != 0;
                splits++;
            }
            return left + right;
        }

        FalseNodes build(int width) {
            Integer[] order = new Integer[splits];
            for (int i = 0; i < splits; i++) {
                order[i] = i;
            }
            // By feature, then threshold; ties keep tree order, which the AND does not care about anyway.
            Arrays.sort(order, (a, b) -> splitFeature[a] != splitFeature[b]
                    ? Integer.compare(splitFeature[a], splitFeature[b])
                    : Float.compare(splitThreshold[a], splitThreshold[b]));
            int[] start = new int[width + 1];
            float[] threshold = new float[splits];
            int[] tree = new int[splits];
            long[] mask = new long[splits];
            boolean[] defaultLeft = new boolean[splits];
            for (int i = 0; i < splits; i++) {
                int s = order[i];
                threshold[i] = splitThreshold[s];
                tree[i] = splitTree[s];
                mask[i] = splitMask[s];
                defaultLeft[i] = splitDefaultLeft[s];
                start[splitFeature[s] + 1]++;
            }
            for (int f = 0; f < width; f++) {
                start[f + 1] += start[f];
            }
            return new FalseNodes(start, threshold, tree, mask, defaultLeft, leaf);
        }
    }
}
