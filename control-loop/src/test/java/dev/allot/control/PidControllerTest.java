package dev.allot.control;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class PidControllerTest {

    private static final PidGains GAINS = new PidGains(0.1, 0.01, 0.05, 10, 0, 5);

    @Test
    void raisesLambdaWhenSpendingTooMuch() {
        PidState next = PidController.step(PidState.start(1.0), GAINS, 0.5, 10);
        // 1 + 0.1*0.5 + 0.01*(0.5*10) + 0 (no derivative on the first tick)
        assertThat(next.lambda()).isCloseTo(1.1, within(1e-12));
        assertThat(next.integral()).isCloseTo(5.0, within(1e-12));
        assertThat(next.ticks()).isEqualTo(1);
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
        PidState s = PidState.start(5.0);
        for (int i = 0; i < 100; i++) {
            s = PidController.step(s, GAINS, 1.0, 10);
        }
        assertThat(s.lambda()).isEqualTo(5.0);
        assertThat(s.integral()).as("no windup at the upper bound").isEqualTo(0.0);
        // The moment the error turns, lambda leaves the bound instead of waiting for a wound-up integral.
        s = PidController.step(s, GAINS, -1.0, 10);
        assertThat(s.lambda()).isLessThan(5.0);
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
