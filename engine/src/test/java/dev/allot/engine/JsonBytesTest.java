package dev.allot.engine;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

class JsonBytesTest {

    private static final class Writer extends JsonBytes {
        String write(long v) {
            reset();
            number(v);
            return new String(bytes(), StandardCharsets.US_ASCII);
        }
    }

    @Test
    void writesEveryLongAsItsDecimalDigits() {
        List<Long> values = new ArrayList<>(List.of(0L, Long.MAX_VALUE, Long.MIN_VALUE, Long.MIN_VALUE + 1,
                (long) Integer.MAX_VALUE, Integer.MAX_VALUE + 1L, (long) Integer.MIN_VALUE, 1_795_727_604_871L));
        // Each power of ten and its neighbours, where the digit count changes.
        for (long p = 1; ; p *= 10) {
            values.addAll(List.of(p - 1, p, p + 1, -p, -(p - 1), -(p + 1)));
            if (p > Long.MAX_VALUE / 10) {
                break;
            }
        }
        SplittableRandom random = new SplittableRandom(5);
        for (int i = 0; i < 20_000; i++) {
            values.add(random.nextLong() >> random.nextInt(64));
        }
        Writer w = new Writer();
        for (long v : values) {
            assertThat(w.write(v)).as("%d", v).isEqualTo(Long.toString(v));
        }
    }
}
