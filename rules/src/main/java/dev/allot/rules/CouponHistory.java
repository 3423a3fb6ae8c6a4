package dev.allot.rules;

/**
 * The user's recent coupons, counted in Redis before the rules run. {@code known} is false when Redis could
 * not be asked (an outage): rules decide whether to fail open or closed.
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
