package dev.allot.scoring;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LadderTest {

    @Test
    void pricesAreBaseMinusCoupon() {
        Ladder ladder = new Ladder(16, new double[]{0, 2, 4});
        assertThat(ladder.size()).isEqualTo(3);
        assertThat(ladder.price(2)).isEqualTo(12.0);
    }

    @Test
    void refusesLaddersThatAreNotStrictlyIncreasing() {
        assertThatThrownBy(() -> new Ladder(16, new double[]{0, 4, 4}))
                .hasMessageContaining("ladder[2]").hasMessageContaining("strictly increasing");
    }

    @Test
    void refusesCouponsAtOrAboveTheBasePrice() {
        assertThatThrownBy(() -> new Ladder(10, new double[]{0, 10})).hasMessageContaining("ladder[1]");
    }

    @Test
    void isImmutable() {
        double[] coupons = {0, 2};
        Ladder ladder = new Ladder(10, coupons);
        coupons[1] = 9;
        ladder.coupons()[0] = 5;
        assertThat(ladder.coupons()).containsExactly(0.0, 2.0);
    }
}
