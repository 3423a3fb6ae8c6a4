package dev.allot.control;

import dev.allot.scoring.ConversionCurve;
import dev.allot.scoring.Ladder;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

class LambdaArgmaxTest {

    private static final boolean[] ALL = {true, true, true, true};

    @Test
    void withoutBudgetPressureChoosesTheHighestValue() {
        double[] values = {1.0, 3.0, 2.0, 0.5};
        double[] costs = {0, 1, 2, 3};
        assertThat(LambdaArgmax.choose(values, costs, ALL, 0)).isEqualTo(1);
    }

    @Test
    void tiesGoToTheSmallerCoupon() {
        double[] values = {2.0, 2.0, 2.0, 1.0};
        double[] costs = {0, 0, 0, 0};
        assertThat(LambdaArgmax.choose(values, costs, ALL, 1.0)).isZero();
        // 1 - 0.5*0 = 1 and 2 - 0.5*2 = 1: equal scores, the smaller coupon wins.
        assertThat(LambdaArgmax.choose(new double[]{1, 2}, new double[]{0, 2}, new boolean[]{true, true}, 0.5))
                .isZero();
    }

    @Test
    void neverChoosesAForbiddenLevel() {
        double[] values = {1.0, 3.0, 2.0, 0.5};
        double[] costs = {0, 1, 2, 3};
        assertThat(LambdaArgmax.choose(values, costs, new boolean[]{true, false, true, true}, 0)).isEqualTo(2);
        assertThat(LambdaArgmax.choose(values, costs, new boolean[]{false, false, false, false}, 0))
                .isEqualTo(LambdaArgmax.NONE);
    }

    @Test
    void offeredPriceNeverRisesAsLambdaFalls() {
        Ladder ladder = new Ladder(18, new double[]{0, 2, 4, 6, 8, 10});
        Pricing pricing = new Pricing(ladder, Objective.REVENUE, new BudgetConstraint.AveragePriceFloor(14), 0);
        SplittableRandom random = new SplittableRandom(8);
        double[] values = new double[6];
        double[] costs = new double[6];
        boolean[] allowed = {true, true, true, true, true, true};
        for (int trial = 0; trial < 2_000; trial++) {
            double[] r = new double[6];
            double base = random.nextDouble() * 0.3;
            for (int j = 0; j < 6; j++) {
                base += random.nextDouble() * 0.08;
                r[j] = Math.min(1, base);
            }
            pricing.valuesAndCosts(new ConversionCurve(r, r), values, costs);
            int previous = Integer.MAX_VALUE;
            for (double lambda = 0; lambda <= 5; lambda += 0.05) {
                int level = LambdaArgmax.choose(values, costs, allowed, lambda);
                assertThat(level).as("coupon level at lambda %.2f", lambda).isLessThanOrEqualTo(previous);
                previous = level;
            }
        }
    }
}
