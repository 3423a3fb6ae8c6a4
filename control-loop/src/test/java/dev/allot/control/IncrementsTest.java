package dev.allot.control;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class IncrementsTest {

    @Test
    void sumsWhatAMapOfBoxedDoublesSumsWhateverTheKeysIdentity() {
        SplittableRandom random = new SplittableRandom(5);
        Increments sums = new Increments(2);
        Map<String, Double> expected = new HashMap<>();
        for (int i = 0; i < 5_000; i++) {
            // Equal names that are not the same object (built anew) must land on the same field.
            String field = random.nextBoolean() ? CityTotals.levelDecisions(random.nextInt(40))
                    : new String("seg:" + random.nextInt(30) + ":spend");
            double delta = random.nextDouble() - 0.3;
            Increments one = new Increments();
            one.add(field, delta);
            sums.addAll(one);
            expected.merge(field, delta, Double::sum);
        }
        assertThat(sums).hasSize(expected.size()).isEqualTo(expected);
        assertThat(expected).isEqualTo(sums);
        assertThat(sums.get("seg:3:spend")).isEqualTo(expected.get("seg:3:spend"));
        assertThat(sums.get("absent")).isNull();
        assertThat(sums.containsKey(new String("level:7:decisions"))).isTrue();
    }

    @Test
    void keepsFieldsInTheOrderFirstAddedAndRefusesPut() {
        Increments sums = new Increments();
        sums.add(CityTotals.SPEND, 2);
        sums.add(CityTotals.DECISIONS, 1);
        sums.add(CityTotals.SPEND, 0.5);
        assertThat(sums.keySet()).containsExactly(CityTotals.SPEND, CityTotals.DECISIONS);
        assertThat(sums.values()).containsExactly(2.5, 1.0);
        assertThatThrownBy(() -> sums.put(CityTotals.SPEND, 1.0)).isInstanceOf(UnsupportedOperationException.class);
    }
}
