package dev.allot.app.decision;

import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class LocalGrantsTest {

    private static final long NOW = Instant.parse("2026-11-26T10:00:00Z").toEpochMilli();
    private static final long DAY = 86_400_000L;

    @Test
    void countsEachUsersOwnGrantsInsideTheWindow() {
        LocalGrants grants = new LocalGrants(1_000);
        grants.granted("demo", "alice", NOW - 9 * DAY);
        grants.granted("demo", "alice", NOW - 3 * DAY);
        grants.granted("demo", "alice", NOW - DAY);
        grants.granted("demo", "bob", NOW - DAY);
        grants.granted("other", "alice", NOW);

        assertThat(grants.since("demo", "alice", NOW - 7 * DAY)).isEqualTo(2);
        assertThat(grants.since("demo", "bob", NOW - 7 * DAY)).isEqualTo(1);
        assertThat(grants.since("other", "alice", NOW - 7 * DAY)).isEqualTo(1);
        assertThat(grants.since("demo", "carol", NOW - 7 * DAY)).isZero();
    }

    @Test
    void neverCountsAGrantBeforeTheWindowEvenWithinTheSameSecond() {
        LocalGrants grants = new LocalGrants(1_000);
        long windowStart = NOW - 7 * DAY + 500;
        grants.granted("demo", "alice", windowStart - 200);
        assertThat(grants.since("demo", "alice", windowStart)).isZero();
        grants.granted("demo", "alice", windowStart + 1_000);
        assertThat(grants.since("demo", "alice", windowStart)).isEqualTo(1);
    }

    @Test
    void keepsTheSixteenMostRecentGrantsOfAUser() {
        LocalGrants grants = new LocalGrants(1_000);
        for (int i = 0; i < 20; i++) {
            grants.granted("demo", "alice", NOW - (20 - i) * 60_000L);
        }
        assertThat(grants.since("demo", "alice", NOW - DAY)).isEqualTo(16);
        assertThat(grants.since("demo", "alice", NOW - 10 * 60_000L)).isEqualTo(10);
    }

    @Test
    void aFullTableForgetsTheUsersWhoseLatestGrantIsOldest() {
        LocalGrants grants = new LocalGrants(64);
        int users = 5_000;
        for (int u = 0; u < users; u++) {
            grants.granted("demo", "user-" + u, NOW - (users - u) * 1_000L);
        }
        int remembered = 0;
        for (int u = 0; u < users; u++) {
            int n = grants.since("demo", "user-" + u, NOW - DAY);
            assertThat(n).as("user-%d", u).isBetween(0, 1);
            remembered += n;
        }
        assertThat(remembered).isEqualTo(64);
        // The most recent users are the ones kept: all of the last few, whatever sets they fell in.
        for (int u = users - 3; u < users; u++) {
            assertThat(grants.since("demo", "user-" + u, NOW - DAY)).as("user-%d", u).isEqualTo(1);
        }
    }
}
