package dev.allot.evaluation;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AllocationTest {

    @Test
    void aTieAtZeroGoesToTheCheaperArmWhateverTheOrder() {
        // The costlier arm first, every unit indifferent: spending on it buys nothing.
        int units = 10;
        double[] values = new double[units * 2];
        java.util.Arrays.fill(values, 0.5);
        Allocation.Policy p = new Allocation(values, units, new double[]{1, 0}).at(0.5);
        assertThat(p.plannedCost()).isZero();
        assertThat(p.arms()).containsOnly(1);
    }

    @Test
    void aBudgetAtTheCheapestCostGivesEveryoneTheirCheapestArm() {
        SplittableRandom random = new SplittableRandom(1);
        int units = 20_000;
        double[] values = new double[units * 2];
        for (int i = 0; i < values.length; i++) {
            values[i] = random.nextDouble();
        }
        Allocation allocation = new Allocation(values, units, new double[]{0.7, 1.7});
        Allocation.Policy p = allocation.at(0.7);
        assertThat(p.arms()).containsOnly(0);
        assertThat(p.plannedCost()).isCloseTo(0.7, org.assertj.core.api.Assertions.within(1e-12));
        assertThatThrownBy(() -> allocation.at(0.6))
                .hasMessage("budget 0.6 is below what the cheapest arms cost (0.7 a unit): no policy can stay within it");
    }

    @Test
    void staysWithinEveryBudgetWithUnorderedArmsAndPerUnitCosts() {
        SplittableRandom random = new SplittableRandom(2);
        int units = 5_000;
        int arms = 4;
        double[] values = new double[units * arms];
        double[] costs = new double[units * arms];
        for (int i = 0; i < values.length; i++) {
            values[i] = random.nextDouble();
            costs[i] = random.nextInt(4) * random.nextDouble();
        }
        Allocation allocation = new Allocation(values, units, arms, costs);
        double previous = Double.NEGATIVE_INFINITY;
        for (int b = 0; b <= 40; b++) {
            double budget = allocation.cheapestCost() + b * 0.05;
            Allocation.Policy p = allocation.at(budget);
            assertThat(p.plannedCost()).as("budget %s", budget).isLessThanOrEqualTo(budget + 1e-9);
            double value = 0;
            for (int i = 0; i < units; i++) {
                value += values[i * arms + p.arms()[i]];
            }
            assertThat(value).as("more budget never buys less").isGreaterThanOrEqualTo(previous - 1e-9);
            previous = value;
        }
    }
}
