package dev.allot.control;

/**
 * The day's budget as a constraint {@code sum_i c_i <= 0}, linear in the choice of level, and the signal the
 * PID controller steers. Costs are chosen so that a larger coupon never costs less for the same arrival
 * (the calibrated curve is non-decreasing in the coupon), which keeps the offered price monotone in lambda.
 */
public sealed interface BudgetConstraint {

    /** Contribution {@code c_ij} of offering level j (price {@code p}, coupon {@code d}) to an arrival with
     * purchase probability {@code r}. */
    double cost(double conversion, double price, double coupon);

    /** The controlled quantity measured from the day's totals (average paid price, or spend per arrival). */
    double measure(CityTotals totals, boolean realized);

    double target();

    /** The name used in city configuration files. */
    String type();

    /**
     * Positive when spending too much: the PID raises lambda on a positive error.
     * Zero when nothing has been measured yet.
     */
    default double error(CityTotals totals, boolean realized) {
        double measured = measure(totals, realized);
        return Double.isNaN(measured) ? 0 : errorOf(measured);
    }

    double errorOf(double measured);

    /** Expected average paid price over buyers at or above {@code minPrice} (the paper's constraint). */
    record AveragePriceFloor(double minPrice) implements BudgetConstraint {
        public AveragePriceFloor {
            if (!(minPrice > 0) || Double.isInfinite(minPrice)) {
                throw new IllegalArgumentException("constraint.target (minimum average price) must be a positive"
                        + " finite number, got " + minPrice);
            }
        }

        @Override
        public double cost(double conversion, double price, double coupon) {
            return conversion * (minPrice - price);
        }

        @Override
        public double measure(CityTotals totals, boolean realized) {
            return realized ? totals.realizedAveragePrice() : totals.expectedAveragePrice();
        }

        @Override
        public double target() {
            return minPrice;
        }

        @Override
        public String type() {
            return "average-price-floor";
        }

        @Override
        public double errorOf(double measured) {
            return minPrice - measured;
        }
    }

    /**
     * Average cost per exposed customer at most {@code maxCost}, where offering level j costs its value
     * {@code d_j} whether or not the customer converts (a letter, a call, a prepaid voucher).
     */
    record CostPerArrival(double maxCost) implements BudgetConstraint {
        public CostPerArrival {
            if (!(maxCost >= 0) || Double.isInfinite(maxCost)) {
                throw new IllegalArgumentException("constraint.target (cost per arrival) must be a finite number"
                        + " >= 0, got " + maxCost);
            }
        }

        @Override
        public double cost(double conversion, double price, double coupon) {
            return coupon - maxCost;
        }

        @Override
        public double measure(CityTotals totals, boolean realized) {
            double n = totals.get(CityTotals.DECISIONS);
            return n > 0 ? totals.get(CityTotals.OFFERED) / n : Double.NaN;
        }

        @Override
        public double target() {
            return maxCost;
        }

        @Override
        public String type() {
            return "cost-per-arrival";
        }

        @Override
        public double errorOf(double measured) {
            return measured - maxCost;
        }
    }

    /** Expected coupon spend per exposed customer at most {@code maxSpend}. */
    record SpendPerArrival(double maxSpend) implements BudgetConstraint {
        public SpendPerArrival {
            if (!(maxSpend >= 0) || Double.isInfinite(maxSpend)) {
                throw new IllegalArgumentException("constraint.target (spend per arrival) must be a finite number"
                        + " >= 0, got " + maxSpend);
            }
        }

        @Override
        public double cost(double conversion, double price, double coupon) {
            return conversion * coupon - maxSpend;
        }

        @Override
        public double measure(CityTotals totals, boolean realized) {
            return realized ? totals.realizedSpendPerArrival() : totals.expectedSpendPerArrival();
        }

        @Override
        public double target() {
            return maxSpend;
        }

        @Override
        public String type() {
            return "spend-per-arrival";
        }

        @Override
        public double errorOf(double measured) {
            return measured - maxSpend;
        }
    }
}
