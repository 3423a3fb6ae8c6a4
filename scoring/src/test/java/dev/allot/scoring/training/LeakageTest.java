package dev.allot.scoring.training;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class LeakageTest {

    @Test
    void aucCountsTiesAsHalfAndSkipsMissingValues() {
        // Column 0: perfect ranking; column 1: reversed; column 2: all tied; column 3: missing where it would lie.
        float[] x = {
                1, 4, 7, Float.NaN,
                2, 3, 7, 2,
                3, 2, 7, 3,
                4, 1, 7, 0};
        float[] y = {0, 0, 1, 1};
        assertThat(Leakage.auc(x, 4, 0, y)).isEqualTo(1.0);
        assertThat(Leakage.auc(x, 4, 1, y)).isEqualTo(0.0);
        assertThat(Leakage.auc(x, 4, 2, y)).isEqualTo(0.5);
        assertThat(Leakage.auc(x, 4, 3, y)).as("rows 2-4 only: one negative above one positive").isEqualTo(0.5);
        assertThat(Leakage.auc(x, 4, 0, new float[]{1, 1, 1, 1})).isNaN();
    }

    @Test
    void aucMatchesTheShareOfCorrectlyOrderedPairs() {
        SplittableRandom random = new SplittableRandom(3);
        int n = 400;
        float[] x = new float[n];
        float[] y = new float[n];
        for (int i = 0; i < n; i++) {
            y[i] = random.nextDouble() < 0.3 ? 1 : 0;
            x[i] = (float) Math.round(random.nextGaussian() + y[i]) - 0.5f;
        }
        double pairs = 0;
        double right = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                if (y[i] == 1 && y[j] == 0) {
                    pairs++;
                    right += x[i] > x[j] ? 1 : x[i] == x[j] ? 0.5 : 0;
                }
            }
        }
        assertThat(Leakage.auc(x, 1, 0, y)).isCloseTo(right / pairs, within(1e-12));
    }

    @Test
    void refusesAPostOutcomeColumnAndKeepsHonestFeatures() {
        SplittableRandom random = new SplittableRandom(7);
        int n = 2_000;
        float[] x = new float[n * 3];
        float[] y = new float[n];
        for (int i = 0; i < n; i++) {
            double score = random.nextDouble();
            y[i] = random.nextDouble() < 0.2 + 0.6 * score ? 1 : 0;
            x[i * 3] = (float) score;
            x[i * 3 + 1] = y[i] * (float) (10 + 50 * random.nextDouble());
            x[i * 3 + 2] = (float) random.nextGaussian();
        }
        assertThatThrownBy(() -> Leakage.refuse(x, List.of("score", "spend", "noise"), y, "converted",
                "add it to --deny"))
                .hasMessage("feature spend (AUC 1.000) predicts converted almost perfectly on its own: recorded after"
                        + " the outcome, not before the decision; add it to --deny");
        float[] honest = new float[n * 2];
        for (int i = 0; i < n; i++) {
            honest[i * 2] = x[i * 3];
            honest[i * 2 + 1] = x[i * 3 + 2];
        }
        Leakage.refuse(honest, List.of("score", "noise"), y, "converted", "add it to --deny");
    }
}
