package dev.allot.control;

/** What a city maximises per arrival, given the calibrated purchase probability {@code r} at price {@code p}. */
public enum Objective {
    /** {@code v = r * p} */
    REVENUE,
    /** {@code v = r} */
    CONVERSIONS,
    /** {@code v = r * (p - unitCost)} */
    PROFIT;

    public double value(double conversion, double price, double unitCost) {
        return switch (this) {
            case REVENUE -> conversion * price;
            case CONVERSIONS -> conversion;
            case PROFIT -> conversion * (price - unitCost);
        };
    }
}
