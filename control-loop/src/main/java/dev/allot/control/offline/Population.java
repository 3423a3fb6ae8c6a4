package dev.allot.control.offline;

/**
 * A day's arrivals as calibrated purchase probabilities: {@code r[i * k + j]} for arrival {@code i} at ladder
 * level {@code j} (coupons ascending). Dense, so that millions of arrivals fit in one array.
 */
public record Population(double[] r, int arrivals, int levels) {

    public Population {
        if (levels < 1 || arrivals < 0 || r.length < (long) arrivals * levels) {
            throw new IllegalArgumentException("population of " + arrivals + " arrivals x " + levels
                    + " levels needs " + (long) arrivals * levels + " probabilities, got " + r.length);
        }
    }
}
