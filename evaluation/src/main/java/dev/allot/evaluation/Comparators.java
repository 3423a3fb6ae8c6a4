package dev.allot.evaluation;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.ToIntFunction;

/**
 * What no targeting reaches, chosen out of sample as the policy is: with one split, by the arms' means on the
 * training units; with cross-fitting, for each fold by the means on the other folds, the fold's value then
 * weighted by its share of the units. Chosen on the units it is judged on, the best of several noisy arm means is
 * biased upwards: a placebo (arms shuffled after the outcomes) showed a negative gain outside its interval.
 */
final class Comparators {

    /** Evaluation units (indexes into the plan's evaluation units) of each part. */
    private final int[][] parts;
    /** Arm means by which each part's comparators are chosen. */
    private final double[][] selection;
    /** Each part's arm means, estimated on its own units. */
    private final Resampling.Statistic[][] means;
    private final double[] costs;
    private final int units;

    private Comparators(int[][] parts, double[][] selection, Resampling.Statistic[][] means, double[] costs,
                        int units) {
        this.parts = parts;
        this.selection = selection;
        this.means = means;
        this.costs = costs;
        this.units = units;
    }

    /** One split: every evaluation unit in one part, comparators chosen by the training units. */
    static Comparators split(LoggedData data, int[] evalIndex, Resampling.Statistic[] armMeans) {
        boolean[] evaluated = new boolean[data.rows()];
        for (int i : evalIndex) {
            evaluated[i] = true;
        }
        int[] all = new int[evalIndex.length];
        for (int e = 0; e < all.length; e++) {
            all[e] = e;
        }
        return new Comparators(new int[][]{all}, new double[][]{means(data, i -> evaluated[i] ? -1 : 0, 0)},
                new Resampling.Statistic[][]{armMeans}, data.costs(), evalIndex.length);
    }

    /** Cross-fitting: one part per fold (every unit is evaluated), comparators chosen by the other folds. */
    static Comparators crossFitted(LoggedData data, int[] evalIndex, int[] foldOfCluster, int folds,
                                   Resampling resampling) {
        int k = data.arms().size();
        List<List<Integer>> members = new ArrayList<>();
        for (int f = 0; f < folds; f++) {
            members.add(new ArrayList<>());
        }
        for (int e = 0; e < evalIndex.length; e++) {
            members.get(foldOfCluster[data.clusterIds()[evalIndex[e]]]).add(e);
        }
        int[][] parts = new int[folds][];
        double[][] selection = new double[folds][];
        Resampling.Statistic[][] means = new Resampling.Statistic[folds][k];
        for (int f = 0; f < folds; f++) {
            int fold = f;
            parts[f] = members.get(f).stream().mapToInt(Integer::intValue).toArray();
            selection[f] = means(data, i -> foldOfCluster[data.clusterIds()[i]] == fold ? -1 : 0, 0);
            boolean[] in = new boolean[evalIndex.length];
            for (int e : parts[f]) {
                in[e] = true;
            }
            for (int j = 0; j < k; j++) {
                int arm = j;
                means[f][j] = resampling.ratio(
                        resampling.sums(e -> in[e] && data.arm()[evalIndex[e]] == arm
                                ? data.outcome()[evalIndex[e]] / data.propensity()[evalIndex[e]] : 0),
                        resampling.sums(e -> in[e] && data.arm()[evalIndex[e]] == arm
                                ? 1 / data.propensity()[evalIndex[e]] : 0));
            }
        }
        return new Comparators(parts, selection, means, data.costs(), evalIndex.length);
    }

    /** Self-normalised IPW arm means over the data rows whose {@code group} is {@code keep}. */
    private static double[] means(LoggedData data, ToIntFunction<Integer> group, int keep) {
        int k = data.arms().size();
        double[] y = new double[k];
        double[] w = new double[k];
        for (int i = 0; i < data.rows(); i++) {
            if (group.applyAsInt(i) == keep) {
                y[data.arm()[i]] += data.outcome()[i] / data.propensity()[i];
                w[data.arm()[i]] += 1 / data.propensity()[i];
            }
        }
        double[] m = new double[k];
        for (int j = 0; j < k; j++) {
            m[j] = w[j] > 0 ? y[j] / w[j] : Double.NEGATIVE_INFINITY;
        }
        return m;
    }

    /** A random mix of at most two arms: {@code high} to a {@code share} of the units, {@code low} to the rest. */
    record Mix(int low, int high, double share) {
        Resampling.Statistic of(Resampling.Statistic[] means) {
            return low == high ? means[low] : means[low].scale(1 - share).plus(means[high].scale(share));
        }

        double of(double[] means) {
            return low == high ? means[low] : (1 - share) * means[low] + share * means[high];
        }

        String describe(List<String> arms) {
            return low == high ? arms.get(low) + " to all"
                    : String.format(java.util.Locale.ROOT, "%s to %.1f%%, %s to the rest", arms.get(high), 100 * share,
                    arms.get(low));
        }
    }

    /** A comparator chosen per part, and its value over all parts. */
    record Chosen(List<Mix> mixes, Resampling.Statistic value) {
        String describe(List<String> arms) {
            Set<String> distinct = new LinkedHashSet<>();
            for (Mix m : mixes) {
                distinct.add(m.describe(arms));
            }
            return distinct.size() == 1 ? distinct.iterator().next() : "by fold: " + String.join("; ", distinct);
        }

        /** Whether every part chose the same mix. */
        boolean same() {
            return mixes.stream().distinct().count() == 1;
        }

        /** The arm given in the mix of the first part (the only one without cross-fitting). */
        int arm() {
            return mixes.get(0).high();
        }
    }

    /** The best random mix of any arms at an average cost (the upper hull of cost and outcome). */
    Chosen hull(double cost) {
        return choose(selected -> {
            Mix best = null;
            double bestValue = Double.NEGATIVE_INFINITY;
            for (int a = 0; a < costs.length; a++) {
                if (costs[a] <= cost && selected[a] > bestValue) {
                    best = new Mix(a, a, 0);
                    bestValue = selected[a];
                }
                for (int b = 0; b < costs.length; b++) {
                    if (costs[a] < cost && cost < costs[b]) {
                        Mix m = new Mix(a, b, (cost - costs[a]) / (costs[b] - costs[a]));
                        if (m.of(selected) > bestValue) {
                            best = m;
                            bestValue = m.of(selected);
                        }
                    }
                }
            }
            if (best == null) {
                throw new IllegalArgumentException("no arm costs " + cost + " or less");
            }
            return best;
        });
    }

    /** The best arm mixed with the cheapest one at an average cost. */
    Chosen bestWithCheapest(double cost) {
        int cheapest = PolicyEvaluation.cheapest(costs);
        return choose(selected -> {
            Mix best = null;
            for (int j = 0; j < costs.length; j++) {
                if (j != cheapest) {
                    Mix m = new Mix(cheapest, j, PolicyEvaluation.equalCostShare(cost, costs[cheapest], costs[j]));
                    if (best == null || m.of(selected) > best.of(selected)) {
                        best = m;
                    }
                }
            }
            return best;
        });
    }

    /** The best arm for everyone, whatever it costs; with {@code net}, by outcome minus cost. */
    Chosen bestSingle(boolean net) {
        return choose(selected -> {
            int best = 0;
            for (int j = 1; j < selected.length; j++) {
                if (selected[j] - (net ? costs[j] : 0) > selected[best] - (net ? costs[best] : 0)) {
                    best = j;
                }
            }
            return new Mix(best, best, 0);
        });
    }

    private interface Rule {
        Mix pick(double[] selected);
    }

    private Chosen choose(Rule rule) {
        List<Mix> mixes = new ArrayList<>();
        Resampling.Statistic total = null;
        for (int p = 0; p < parts.length; p++) {
            if (parts[p].length == 0) {
                // A fold the hash left without units (few clusters): nothing to weigh.
                continue;
            }
            Mix m = rule.pick(selection[p]);
            mixes.add(m);
            Resampling.Statistic value = m.of(means[p]);
            // One part is the whole evaluation set: its value as it is, not scaled by 1.
            total = parts[p].length == units ? value : total == null
                    ? value.scale((double) parts[p].length / units) : total.plus(value.scale((double) parts[p].length
                    / units));
        }
        return new Chosen(mixes, total);
    }
}
