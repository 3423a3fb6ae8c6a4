package dev.allot.control;

import dev.allot.scoring.ConversionCurve;
import dev.allot.scoring.Ladder;

/**
 * A city's economics: its ladder, objective and budget constraint. Turns a conversion curve into the values
 * and costs the {@link LambdaArgmax} compares.
 */
public record Pricing(Ladder ladder, Objective objective, BudgetConstraint constraint, double unitCost) {

    public void valuesAndCosts(ConversionCurve curve, double[] values, double[] costs) {
        for (int j = 0; j < ladder.size(); j++) {
            double r = curve.at(j);
            double price = ladder.price(j);
            values[j] = objective.value(r, price, unitCost);
            costs[j] = constraint.cost(r, price, ladder.coupon(j));
        }
    }

    /**
     * {@link #valuesAndCosts(ConversionCurve, double[], double[])} with the objective counting, for each level,
     * what a conversion of this arrival is predicted to bring in ({@code worth}, a value model's) instead of the
     * ladder's price; the budget's costs still read the price. A null {@code worth} is the ladder's prices.
     */
    public void valuesAndCosts(ConversionCurve curve, double[] worth, double[] values, double[] costs) {
        if (worth == null) {
            valuesAndCosts(curve, values, costs);
            return;
        }
        for (int j = 0; j < ladder.size(); j++) {
            double r = curve.at(j);
            values[j] = objective.value(r, worth[j], unitCost);
            costs[j] = constraint.cost(r, ladder.price(j), ladder.coupon(j));
        }
    }
}
