package dev.allot.rules;

/**
 * The user's recent coupons, counted across replicas before the rules run (by the replica's grants view, or Redis
 * when the view cannot tell). {@code known} is false when neither could (an outage, and the city chose not to use
 * what the replica knows): rules decide whether to fail open or closed.
 */
public final class CouponHistory {

    private final long couponsLast7Days;
    private final boolean known;

    public CouponHistory(long couponsLast7Days, boolean known) {
        this.couponsLast7Days = couponsLast7Days;
        this.known = known;
    }

    public long getCouponsLast7Days() {
        return couponsLast7Days;
    }

    public boolean isKnown() {
        return known;
    }
}
