package dev.allot.engine;

import dev.allot.control.CityTotals;
import dev.allot.engine.report.DayChart;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** A recorded day of the demo city (real model, real rules) folded into the console's chart. */
class DayChartTest {

    static final long DAY_START = 1_764_000_000_000L;
    static final long HOUR = 3_600_000L;

    static List<DecisionRecord> day;
    static CitySetup setup;

    /** 600 arrivals over six hours, λ raised every half hour (twice within each hour's bucket). */
    @BeforeAll
    static void recordADay(@TempDir Path dir) throws IOException {
        DecisionEngineTest.compileRules();
        setup = DecisionEngineTest.setup(dir, 0.0, 0.0);
        SplittableRandom random = new SplittableRandom(5);
        day = new ArrayList<>();
        for (int i = 0; i < 600; i++) {
            day.add(DecisionEngineTest.recordedArrival(setup, i, random, i / 100, 0.05 * (1 + i / 50),
                    DAY_START + (long) i * 6 * HOUR / 600));
        }
    }

    private static DayChart fold(List<DecisionRecord> records) {
        DayChart chart = new DayChart("2026-11-24", DAY_START, HOUR, setup.config().constraint());
        records.forEach(chart::add);
        return chart;
    }

    @Test
    void bucketsCarryTheLambdaInForceAndTheRunningMeasure() {
        DayChart.View view = fold(day).view();
        assertThat(view.points()).hasSize(6);
        for (int h = 0; h < 6; h++) {
            assertThat(view.points().get(h).decisions()).isEqualTo(100);
            // The λ of the bucket's latest decision: its second half hour's.
            assertThat(view.points().get(h).lambda()).isCloseTo(0.05 * (2 * h + 2), within(1e-12));
        }
        CityTotals totals = CityTotals.EMPTY;
        for (DecisionRecord r : day) {
            totals = totals.plus(r.totalsDelta());
        }
        DayChart.Point last = view.points().get(5);
        assertThat(last.measured()).isCloseTo(totals.expectedAveragePrice(), within(1e-9));
        assertThat(last.spend()).isCloseTo(totals.get(CityTotals.SPEND), within(1e-9));
        assertThat(view.target()).isEqualTo(setup.config().constraint().target());
    }

    @Test
    void countsLevelsGroupsAndRuleHitsOverTheDay() {
        DayChart.View view = fold(day).view();
        assertThat(view.decisions()).isEqualTo(600);
        assertThat(view.levels().values().stream().mapToLong(Long::longValue).sum()).isEqualTo(600);
        assertThat(view.groups().values().stream().mapToLong(Long::longValue).sum()).isEqualTo(600);
        long hits = day.stream().mapToLong(r -> r.reasons().size()).sum();
        assertThat(view.ruleHits().values().stream().mapToLong(Long::longValue).sum()).isEqualTo(hits);
        long none = day.stream().filter(r -> !r.offered()).count();
        assertThat(view.levels().getOrDefault("none", 0L)).isEqualTo(none);
    }

    @Test
    void theOrderRecordsArriveInDoesNotChangeTheChart() {
        List<DecisionRecord> shuffled = new ArrayList<>(day);
        Collections.shuffle(shuffled, new java.util.Random(3));
        DayChart.View a = fold(shuffled).view();
        DayChart.View b = fold(day).view();
        // Sums in another order differ in the last bits only.
        assertThat(a).usingRecursiveComparison().withComparatorForType(
                (x, y) -> Math.abs(x - y) < 1e-9 ? 0 : Double.compare(x, y), Double.class).isEqualTo(b);
    }

    @Test
    void recordsOfAnotherDayAreLeftOut() {
        DayChart chart = new DayChart("2026-11-25", DAY_START + 24 * HOUR, HOUR, setup.config().constraint());
        day.forEach(chart::add);
        assertThat(chart.decisions()).isZero();
        assertThat(chart.view().points()).isEmpty();
    }
}
