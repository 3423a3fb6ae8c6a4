package dev.allot.control.offline;

/**
 * A day's arrivals as calibrated purchase probabilities: {@code r[i * k + j]} for arrival {@code i} at ladder
 * level {@code j} (coupons ascending). Dense, so that millions of arrivals fit in one array.
 *
 * @param allowed which levels the guardrails allow each arrival, {@code allowed[i * k + j]}; null: all
 */
public record Population(double[] r, int arrivals, int levels, boolean[] allowed) {

    public Population {
        if (levels < 1 || arrivals < 0 || r.length < (long) arrivals * levels) {
            throw new IllegalArgumentException("population of " + arrivals + " arrivals x " + levels
                    + " levels needs " + (long) arrivals * levels + " probabilities, got " + r.length);
        }
        if (allowed != null && allowed.length < (long) arrivals * levels) {
            throw new IllegalArgumentException("allowed mask shorter than the population");
        }
    }

    public Population(double[] r, int arrivals, int levels) {
        this(r, arrivals, levels, null);
    }

    /** Fills {@code into} with arrival i's allowed levels; true everywhere when there is no mask. */
    public void allowed(int i, boolean[] into) {
        if (allowed == null) {
            java.util.Arrays.fill(into, true);
        } else {
            System.arraycopy(allowed, i * levels, into, 0, levels);
        }
    }
}
