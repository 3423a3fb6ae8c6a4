package dev.allot.control;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;

/**
 * A city's business day: it starts at {@code dayStart} local time in the city's time zone, so a day that
 * starts at 04:00 owns the small hours after midnight. Totals are keyed by this day.
 */
public record TradingDay(ZoneId zone, LocalTime dayStart) {

    public LocalDate dayOf(Instant instant) {
        ZonedDateTime local = instant.atZone(zone);
        LocalDate date = local.toLocalDate();
        return local.toLocalTime().isBefore(dayStart) ? date.minusDays(1) : date;
    }

    public String keyOf(Instant instant) {
        return dayOf(instant).toString();
    }

    /** The instant the day containing {@code instant} started. */
    public Instant startOf(Instant instant) {
        return dayOf(instant).atTime(dayStart).atZone(zone).toInstant();
    }

    /** The instant the day keyed {@code key} (see {@link #keyOf}) started. */
    public Instant startOfDay(String key) {
        return LocalDate.parse(key).atTime(dayStart).atZone(zone).toInstant();
    }
}
