package dev.allot.control;

/**
 * The per-arrival decision of the dualised budget problem.
 *
 * <p>Offline, the day's problem is a multiple-choice knapsack: maximise {@code sum v_ij x_ij} subject to
 * {@code sum c_ij x_ij <= 0}, one level per arrival. Dualising the budget with a price {@code lambda >= 0}
 * separates it into one tiny problem per arrival:
 *
 * <pre>  j*(i, lambda) = argmax over allowed j of ( v_ij - lambda * c_ij ),  ties to the smaller coupon</pre>
 *
 * This class is the only place that choice is made; the offline solver, the service and the simulator all
 * call it. Levels are indexed by ascending coupon, so the first maximum is the smallest coupon.
 */
public final class LambdaArgmax {

    /** No level is allowed. */
    public static final int NONE = -1;

    private LambdaArgmax() {
    }

    public static int choose(double[] values, double[] costs, boolean[] allowed, double lambda) {
        int best = NONE;
        double bestScore = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < values.length; j++) {
            if (!allowed[j]) {
                continue;
            }
            double score = values[j] - lambda * costs[j];
            if (best == NONE || score > bestScore) {
                best = j;
                bestScore = score;
            }
        }
        return best;
    }
}
