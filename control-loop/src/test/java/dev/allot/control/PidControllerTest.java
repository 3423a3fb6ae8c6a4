package dev.allot.control;

import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class PidControllerTest {

    private static final PidGains GAINS = new PidGains(0.1, 0.01, 0.05, 10, 0, 5);

    @Test
    void eachTermHasItsTextbookMeaningAroundTheDaysStartingLambda() {
        PidState first = PidController.step(PidState.start(1.0), GAINS, 0.5, 10);
        // A bumpless start: base 1 - Kp 0.1*0.5, so λ = 1 + Ki 0.01*(0.5*10); no derivative on the first tick.
        assertThat(first.lambda()).isCloseTo(1.05, within(1e-12));
        assertThat(first.integral()).isCloseTo(5.0, within(1e-12));
        assertThat(first.base()).isCloseTo(0.95, within(1e-12));
        PidState second = PidController.step(first, GAINS, 0.3, 10);
        // 0.95 + 0.1*0.3 + 0.01*(5 + 3) + 0.05*(0.3 - 0.5)/10
        assertThat(second.lambda()).isCloseTo(0.95 + 0.03 + 0.08 - 0.001, within(1e-12));
        assertThat(second.ticks()).isEqualTo(2);
    }

    @Test
    void theProportionalTermFollowsTheErrorAndDoesNotAccumulate() {
        // The law before issue 10 added Kp*e to λ at every tick, so a constant error drove λ without bound; here a
        // constant error leaves a proportional-only controller where it is, and λ follows the error's changes.
        PidGains pOnly = new PidGains(0.2, 0, 0, 10, 0, 5);
        PidState s = PidState.start(1.0);
        for (int i = 0; i < 10; i++) {
            s = PidController.step(s, pOnly, 0.5, 10);
        }
        assertThat(s.lambda()).isCloseTo(1.0, within(1e-12));
        s = PidController.step(s, pOnly, 0.3, 10);
        assertThat(s.lambda()).isCloseTo(1.0 + 0.2 * (0.3 - 0.5), within(1e-12));
        s = PidController.step(s, pOnly, 0.5, 10);
        assertThat(s.lambda()).isCloseTo(1.0, within(1e-12));
    }

    @Test
    void theIntegralRemovesASteadyError() {
        PidGains iOnly = new PidGains(0, 0.001, 0, 60, 0, 5);
        PidState s = PidState.start(1.0);
        for (int i = 0; i < 10; i++) {
            s = PidController.step(s, iOnly, 0.5, 60);
        }
        assertThat(s.lambda()).isCloseTo(1.0 + 0.001 * 0.5 * 600, within(1e-12));
    }

    @Test
    void lowersLambdaWhenUnderspending() {
        assertThat(PidController.step(PidState.start(1.0), GAINS, -0.5, 10).lambda()).isLessThan(1.0);
    }

    @Test
    void derivativeActsOnTheChangeOfError() {
        PidGains dOnly = new PidGains(0, 0, 2, 10, 0, 5);
        PidState first = PidController.step(PidState.start(1.0), dOnly, 0.5, 10);
        assertThat(first.lambda()).isEqualTo(1.0);
        PidState second = PidController.step(first, dOnly, 1.5, 10);
        assertThat(second.lambda()).isCloseTo(1.0 + 2 * (1.5 - 0.5) / 10, within(1e-12));
    }

    @Test
    void clampsToTheConfiguredBounds() {
        PidState high = PidController.step(PidState.start(4.9), GAINS, 50, 10);
        assertThat(high.lambda()).isEqualTo(5.0);
        PidState low = PidController.step(PidState.start(0.1), GAINS, -50, 10);
        assertThat(low.lambda()).isEqualTo(0.0);
    }

    @Test
    void integralStopsGrowingWhileClamped() {
        PidState s = PidState.start(4.9);
        for (int i = 0; i < 100; i++) {
            s = PidController.step(s, GAINS, 1.0, 10);
        }
        assertThat(s.lambda()).isEqualTo(5.0);
        assertThat(s.integral()).as("no windup at the upper bound").isLessThanOrEqualTo(10.0);
        // The moment the error turns, lambda leaves the bound instead of waiting for a wound-up integral.
        s = PidController.step(s, GAINS, -1.0, 10);
        assertThat(s.lambda()).isLessThan(5.0);
    }

    @Test
    void anOperatorsLambdaIsTakenOverWithoutABump() {
        PidState s = PidController.step(PidState.start(1.0), GAINS, 0.5, 10);
        PidState overridden = PidController.rebase(s, GAINS, 2.0);
        assertThat(overridden.lambda()).isEqualTo(2.0);
        // The same error again: the law now gives the operator's λ plus only what the error adds since.
        PidState next = PidController.step(overridden, GAINS, 0.5, 10);
        assertThat(next.lambda()).isCloseTo(2.0 + 0.01 * 0.5 * 10, within(1e-12));
    }

    @Test
    void storedStateTakesOverAnOverrideAndNewGainsAndStartsEachDayAfresh() {
        PidState s = PidController.step(PidState.start(1.0), GAINS, 0.5, 10);
        Map<String, String> fields = new java.util.HashMap<>(s.fields("d", 0, GAINS));
        assertThat(PidTicker.stateOf(fields, "d", 0.3, Optional.empty(), GAINS)).isEqualTo(s);
        // An operator set λ: the controller goes on from it.
        fields.put("lambda", "2.0");
        PidState taken = PidTicker.stateOf(fields, "d", 0.3, Optional.empty(), GAINS);
        assertThat(taken.lambda()).isEqualTo(2.0);
        assertThat(PidController.step(taken, GAINS, 0.5, 10).lambda()).isCloseTo(2.05, within(1e-12));
        // New gains: the λ in force stays the starting point.
        PidGains stronger = new PidGains(1.0, 0.01, 0, 10, 0, 5);
        fields.put("lambda", Double.toString(s.lambda()));
        PidState retuned = PidTicker.stateOf(fields, "d", 0.3, Optional.empty(), stronger);
        assertThat(PidController.step(retuned, stronger, 0.5, 10).lambda())
                .isCloseTo(s.lambda() + 0.01 * 0.5 * 10, within(1e-12));
        // A new day centres on its offline λ.
        assertThat(PidTicker.stateOf(fields, "d+1", 0.3, Optional.of(0.8), GAINS)).isEqualTo(PidState.start(0.8));
    }

    @Test
    void ignoresANonFiniteMeasurement() {
        PidState s = PidState.start(1.0);
        assertThat(PidController.step(s, GAINS, Double.NaN, 10)).isSameAs(s);
    }

    @Test
    void refusesGainsOutsideTheirRange() {
        assertThatThrownBy(() -> new PidGains(-1, 0, 0, 10, 0, 5)).hasMessageContaining("pid.kp");
        assertThatThrownBy(() -> new PidGains(0, 0, 0, 0, 0, 5)).hasMessageContaining("pid.intervalSeconds");
        assertThatThrownBy(() -> new PidGains(0, 0, 0, 10, 3, 2)).hasMessageContaining("lambdaMin");
    }
}
