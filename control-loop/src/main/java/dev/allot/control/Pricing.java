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

    /** {@link #valuesAndCosts(ConversionCurve, double[], double[])} at this arrival's own prices per level. */
    public void valuesAndCosts(ConversionCurve curve, double[] prices, double[] values, double[] costs) {
        for (int j = 0; j < ladder.size(); j++) {
            double r = curve.at(j);
            values[j] = objective.value(r, prices[j], unitCost);
            costs[j] = constraint.cost(r, prices[j], ladder.coupon(j));
        }
    }
}
