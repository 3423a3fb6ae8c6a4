package dev.allot.control;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;

import static org.assertj.core.api.Assertions.assertThat;

class TradingDayTest {

    private final TradingDay shanghai = new TradingDay(ZoneId.of("Asia/Shanghai"), LocalTime.of(4, 0));

    @Test
    void smallHoursBelongToThePreviousDay() {
        // 02:30 in Shanghai on the 24th is still the 23rd's business day.
        assertThat(shanghai.keyOf(Instant.parse("2026-11-23T18:30:00Z"))).isEqualTo("2026-11-23");
        // 04:00 in Shanghai starts the 24th.
        assertThat(shanghai.keyOf(Instant.parse("2026-11-23T20:00:00Z"))).isEqualTo("2026-11-24");
    }

    @Test
    void dayStartsAtItsLocalStartTime() {
        assertThat(shanghai.startOf(Instant.parse("2026-11-24T06:00:00Z")))
                .isEqualTo(Instant.parse("2026-11-23T20:00:00Z"));
    }
}
