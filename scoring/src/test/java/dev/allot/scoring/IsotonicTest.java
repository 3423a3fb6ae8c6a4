package dev.allot.scoring;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class IsotonicTest {

    @Test
    void leavesMonotoneCurveUntouched() {
        double[] in = {0.1, 0.2, 0.2, 0.5};
        double[] out = new double[4];
        assertThat(Isotonic.fit(in, out, 4)).isZero();
        assertThat(out).containsExactly(0.1, 0.2, 0.2, 0.5);
    }

    @Test
    void poolsAdjacentViolatorsIntoTheirMean() {
        assertThat(Isotonic.fit(new double[]{0.3, 0.1, 0.2, 0.6}))
                .containsExactly(new double[]{0.2, 0.2, 0.2, 0.6}, within(1e-15));
        assertThat(Isotonic.fit(new double[]{0.5, 0.4, 0.3}))
                .containsExactly(new double[]{0.4, 0.4, 0.4}, within(1e-15));
        assertThat(Isotonic.fit(new double[]{0.1, 0.4, 0.2, 0.3, 0.9}))
                .containsExactly(new double[]{0.1, 0.3, 0.3, 0.3, 0.9}, within(1e-15));
    }

    @Test
    void fitIsMonotoneMeanPreservingAndNoWorseThanAnyMonotoneCandidate() {
        SplittableRandom random = new SplittableRandom(3);
        for (int trial = 0; trial < 2_000; trial++) {
            int n = 1 + random.nextInt(8);
            double[] in = new double[n];
            for (int i = 0; i < n; i++) {
                in[i] = random.nextDouble();
            }
            double[] fit = Isotonic.fit(in);
            for (int i = 1; i < n; i++) {
                assertThat(fit[i]).isGreaterThanOrEqualTo(fit[i - 1]);
            }
            assertThat(sum(fit)).isCloseTo(sum(in), within(1e-12));
            // Any sorted perturbation of the fit is monotone too; none may be closer to the input.
            double[] other = fit.clone();
            other[random.nextInt(n)] += random.nextDouble() * 0.1 - 0.05;
            java.util.Arrays.sort(other);
            assertThat(squaredError(in, fit)).isLessThanOrEqualTo(squaredError(in, other) + 1e-15);
        }
    }

    @Test
    void canFitInPlace() {
        double[] curve = {0.4, 0.2, 0.6};
        Isotonic.fit(curve, curve, 3);
        assertThat(curve[0]).isCloseTo(0.3, within(1e-15));
        assertThat(curve[1]).isCloseTo(0.3, within(1e-15));
        assertThat(curve[2]).isEqualTo(0.6);
    }

    private static double sum(double[] a) {
        double s = 0;
        for (double v : a) {
            s += v;
        }
        return s;
    }

    private static double squaredError(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (a[i] - b[i]) * (a[i] - b[i]);
        }
        return s;
    }
}
