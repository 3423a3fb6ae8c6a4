package dev.allot.control;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class BudgetConstraintTest {

    private final CityTotals totals = new CityTotals(Map.of(
            CityTotals.DECISIONS, 10.0, CityTotals.CONVERSIONS, 2.0, CityTotals.REVENUE, 26.0,
            CityTotals.SPEND, 6.0, CityTotals.OUTCOMES, 4.0, CityTotals.PURCHASES, 2.0,
            CityTotals.REALIZED_REVENUE, 30.0, CityTotals.REALIZED_SPEND, 2.0));

    @Test
    void priceFloorErrorIsPositiveWhenTheAveragePriceIsBelowTarget() {
        var floor = new BudgetConstraint.AveragePriceFloor(14);
        assertThat(floor.measure(totals, false)).isEqualTo(13.0);
        assertThat(floor.error(totals, false)).isEqualTo(1.0);
        assertThat(floor.error(totals, true)).isEqualTo(-1.0);
        assertThat(floor.cost(0.5, 12, 6)).isEqualTo(1.0);
    }

    @Test
    void spendPerArrivalErrorIsPositiveWhenSpendingAboveTarget() {
        var spend = new BudgetConstraint.SpendPerArrival(0.5);
        assertThat(spend.error(totals, false)).isCloseTo(0.1, within(1e-12));
        assertThat(spend.error(totals, true)).isCloseTo(0.0, within(1e-12));
        assertThat(spend.cost(0.5, 12, 6)).isEqualTo(2.5);
    }

    @Test
    void costPerArrivalCountsWhatIsOfferedBoughtOrNot() {
        var cost = new BudgetConstraint.CostPerArrival(5);
        assertThat(cost.cost(0.1, 0, 15)).isEqualTo(10.0);
        assertThat(cost.cost(0.9, 0, 15)).isEqualTo(10.0);
        CityTotals t = new CityTotals(java.util.Map.of(CityTotals.DECISIONS, 4.0, CityTotals.OFFERED, 30.0));
        assertThat(cost.measure(t, false)).isEqualTo(7.5);
        assertThat(cost.error(t, false)).isEqualTo(2.5);
    }

    @Test
    void noErrorBeforeAnythingWasMeasured() {
        assertThat(new BudgetConstraint.AveragePriceFloor(14).error(CityTotals.EMPTY, false)).isZero();
    }
}
