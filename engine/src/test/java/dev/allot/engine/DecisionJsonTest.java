package dev.allot.engine;

import dev.allot.rules.Reason;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The response body against Jackson's, which wrote it before and stays the reference: the same bytes for every
 * shape of decision (absent level and expected conversion, missing strings, escapes, non-ASCII text, surrogates,
 * whole, tiny and non-finite numbers, reasons or none) and, with {@code explain}, for the candidates.
 */
class DecisionJsonTest {

    @Test
    void writesJacksonsBytesForEveryShapeOfDecision() throws IOException {
        SplittableRandom random = new SplittableRandom(5);
        for (int i = 0; i < 5_000; i++) {
            Decision d = decision(random);
            byte[] expected = Json.MAPPER.writeValueAsBytes(d);
            byte[] actual = d.toJsonBytes();
            int at = Arrays.mismatch(actual, expected);
            assertThat(at).as("decision %s first differs at %s: ours %s, Jackson's %s", i, at,
                    RecordJsonTest.context(actual, at), RecordJsonTest.context(expected, at)).isEqualTo(-1);
        }
    }

    @Test
    void explainedDecisionsCarryTheirCandidates() throws IOException {
        DecisionRecord record = RecordJsonTest.record(new SplittableRandom(3), 1);
        Decision explained = Decision.of(record, "CNY", true);
        assertThat(explained.toJsonBytes()).isEqualTo(Json.MAPPER.writeValueAsBytes(explained));
        assertThat(Json.MAPPER.readTree(explained.toJsonBytes()).get("candidates")).hasSize(record.levels().size());
        assertThat(Json.MAPPER.readTree(Decision.of(record, "CNY", false).toJsonBytes()).has("candidates")).isFalse();
    }

    private static Decision decision(SplittableRandom random) {
        List<Reason> reasons = null;
        if (random.nextInt(8) > 0) {
            reasons = new ArrayList<>();
            for (int c = 0; c < random.nextInt(4); c++) {
                reasons.add(new Reason(maybe(random), maybe(random)));
            }
        }
        return new Decision(maybe(random), maybe(random), maybe(random),
                random.nextInt(4) == 0 ? null : random.nextInt(7), number(random), number(random), maybe(random),
                random.nextInt(4) == 0 ? null : number(random), maybe(random), number(random), number(random),
                maybe(random), maybe(random), reasons, null);
    }

    private static String maybe(SplittableRandom random) {
        return random.nextInt(10) == 0 ? null : RecordJsonTest.text(random);
    }

    private static double number(SplittableRandom random) {
        return switch (random.nextInt(6)) {
            case 0 -> RecordJsonTest.WHOLE[random.nextInt(RecordJsonTest.WHOLE.length)];
            case 1 -> random.nextDouble() * 1e-7;
            case 2 -> new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}[random.nextInt(3)];
            case 3 -> 2.0 * random.nextInt(10);
            default -> random.nextGaussian() * 100;
        };
    }
}
