package dev.allot.scoring;

import java.util.Arrays;

/**
 * A city's coupon ladder: coupon values {@code d_0 < d_1 < ... < d_{K-1}} off a base price {@code P};
 * level {@code j} is offered at price {@code p_j = P - d_j}.
 */
public record Ladder(double basePrice, double[] coupons) {

    public Ladder {
        if (!(basePrice > 0) || Double.isInfinite(basePrice)) {
            throw new IllegalArgumentException("basePrice must be a positive finite number, got " + basePrice);
        }
        if (coupons == null || coupons.length < 1) {
            throw new IllegalArgumentException("ladder must have at least one coupon value");
        }
        coupons = coupons.clone();
        for (int j = 0; j < coupons.length; j++) {
            double d = coupons[j];
            if (!Double.isFinite(d) || d < 0 || d >= basePrice) {
                throw new IllegalArgumentException(
                        "ladder[" + j + "] must be in [0, basePrice) = [0, " + basePrice + "), got " + d);
            }
            if (j > 0 && !(d > coupons[j - 1])) {
                throw new IllegalArgumentException("ladder must be strictly increasing, but ladder[" + j + "] = " + d
                        + " follows " + coupons[j - 1]);
            }
        }
    }

    public int size() {
        return coupons.length;
    }

    public double coupon(int level) {
        return coupons[level];
    }

    public double price(int level) {
        return basePrice - coupons[level];
    }

    @Override
    public double[] coupons() {
        return coupons.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Ladder l && l.basePrice == basePrice && Arrays.equals(l.coupons, coupons);
    }

    @Override
    public int hashCode() {
        return 31 * Double.hashCode(basePrice) + Arrays.hashCode(coupons);
    }

    @Override
    public String toString() {
        return "Ladder[basePrice=" + basePrice + ", coupons=" + Arrays.toString(coupons) + "]";
    }
}
