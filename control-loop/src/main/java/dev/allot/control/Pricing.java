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

    /** Every level with its numbers at {@code lambda}, for {@code ?explain=true} and the decision log. */
    public Candidate[] candidates(ConversionCurve curve, boolean[] allowed, double lambda) {
        int k = ladder.size();
        double[] values = new double[k];
        double[] costs = new double[k];
        valuesAndCosts(curve, values, costs);
        Candidate[] candidates = new Candidate[k];
        for (int j = 0; j < k; j++) {
            candidates[j] = new Candidate(j, ladder.coupon(j), ladder.price(j), curve.raw()[j], curve.at(j),
                    values[j], costs[j], values[j] - lambda * costs[j], allowed[j]);
        }
        return candidates;
    }
}
