package dev.allot.rules;

/** One ladder level the rules may allow or forbid: its coupon, the price it implies and its conversion. */
public final class LevelCandidate {

    private final int level;
    private final double coupon;
    private final double price;
    private final double conversion;

    public LevelCandidate(int level, double coupon, double price, double conversion) {
        this.level = level;
        this.coupon = coupon;
        this.price = price;
        this.conversion = conversion;
    }

    public int getLevel() {
        return level;
    }

    public double getCoupon() {
        return coupon;
    }

    public double getPrice() {
        return price;
    }

    public double getConversion() {
        return conversion;
    }
}
