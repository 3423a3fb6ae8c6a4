package dev.allot.engine;

import dev.allot.control.PidGains;
import dev.allot.engine.whatif.WhatIf;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** A recorded day of the demo city (real model, real rules) replayed with other controller settings. */
class WhatIfTest {

    static final PidGains GAINS = new PidGains(0.5, 0.0025, 0, 900, 0, 10);
    static final long DAY_START = 1_764_000_000_000L;

    static List<DecisionRecord> day;
    static CitySetup setup;

    /** 4,000 arrivals through a day, decided live at λ 0.1: the day overspends its price floor of 14.5. */
    @BeforeAll
    static void recordADay(@TempDir Path dir) throws IOException {
        DecisionEngineTest.compileRules();
        setup = DecisionEngineTest.setup(dir, 0.0, 0.0);
        SplittableRandom random = new SplittableRandom(11);
        day = new ArrayList<>();
        for (int i = 0; i < 4_000; i++) {
            day.add(DecisionEngineTest.recordedArrival(setup, i, random, i * 24 / 4_000, 0.1,
                    DAY_START + (long) i * 86_400_000L / 4_000));
        }
    }

    private static WhatIf.Result run(PidGains gains, OptionalDouble fixed, long seed) {
        return WhatIf.run(setup, DecisionEngineTest.rules, day, 0.1,
                new WhatIf.Settings(gains, false, fixed, setup.config().constraint(), seed));
    }

    @Test
    void holdingTheRecordedLambdaReproducesTheRecordedDay() {
        WhatIf.Result same = run(GAINS, OptionalDouble.of(0.1), 1);
        double recordedRevenue = day.stream().filter(r -> r.level() != null)
                .mapToDouble(r -> r.expectedConversion() * r.price()).sum();
        assertThat(same.decisions()).isEqualTo(4_000);
        assertThat(same.revenue()).isCloseTo(recordedRevenue, within(1e-6));
        assertThat(same.endDeviation()).as("the recorded day ends under its floor").isLessThan(-0.01);
    }

    @Test
    void steeringBringsTheDayToItsFloor() {
        WhatIf.Result fixed = run(GAINS, OptionalDouble.of(0.1), 1);
        WhatIf.Result steered = run(GAINS, OptionalDouble.empty(), 1);
        assertThat(steered.ticks()).isEqualTo(95);
        assertThat(steered.path()).hasSize(95);
        assertThat(steered.endLambda()).as("λ rose").isGreaterThan(0.1);
        assertThat(Math.abs(steered.endDeviation())).isLessThan(Math.abs(fixed.endDeviation()) / 3);
        // Weaker gains steer less far by the end of the day.
        WhatIf.Result weak = run(new PidGains(0.05, 0.00005, 0, 900, 0, 10), OptionalDouble.empty(), 1);
        assertThat(Math.abs(weak.endDeviation())).isGreaterThan(Math.abs(steered.endDeviation()));
    }

    @Test
    void theSameSettingsAndSeedGiveTheSameDay() {
        WhatIf.Result a = run(GAINS, OptionalDouble.empty(), 7);
        WhatIf.Result b = run(GAINS, OptionalDouble.empty(), 7);
        assertThat(a).isEqualTo(b);
        assertThat(run(GAINS, OptionalDouble.empty(), 8).purchases()).isNotEqualTo(a.purchases());
    }

    @Test
    void suggestedGainsEndTheDayAtLeastAsCloseAsWeakGainsDid() {
        PidGains weak = new PidGains(0.05, 0.00005, 0, 900, 0, 10);
        dev.allot.engine.whatif.GainSearch.Suggestion s = dev.allot.engine.whatif.GainSearch.suggest(setup,
                DecisionEngineTest.rules, List.of(new dev.allot.engine.whatif.GainSearch.Day(day, 0.1)), weak, false,
                setup.config().constraint(), 1);
        assertThat(s.evaluations()).isGreaterThan(10);
        assertThat(s.score()).isLessThan(s.currentScore());
        WhatIf.Result suggested = run(s.gains(), OptionalDouble.empty(), 1);
        WhatIf.Result before = run(weak, OptionalDouble.empty(), 1);
        assertThat(Math.abs(suggested.endDeviation())).isLessThan(Math.abs(before.endDeviation()));
        assertThat(s.gains().kp()).isNotEqualTo(weak.kp());
    }
}
