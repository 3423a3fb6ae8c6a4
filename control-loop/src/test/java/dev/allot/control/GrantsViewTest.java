package dev.allot.control;

import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class GrantsViewTest {

    private static final long NOW = Instant.parse("2026-11-26T10:00:00Z").toEpochMilli();
    private static final long DAY = 86_400_000L;
    private static final long WEEK_AGO = NOW - 7 * DAY;

    private static long count(GrantsView view, String city, String user, long from) {
        return view.count(GrantsView.key(city, user), from);
    }

    private static int decisions;

    /** A grant by a new decision. */
    private static void grant(GrantsView view, String city, String user, long at) {
        view.add(GrantsView.key(city, user), at, GrantsView.tag("decision-" + decisions++));
    }

    @Test
    void countsEachUsersGrantsInsideTheWindowToTheMillisecond() {
        GrantsView view = new GrantsView(1_000, 7 * DAY);
        grant(view, "demo", "alice", NOW - 9 * DAY);
        grant(view, "demo", "alice", NOW - 3 * DAY);
        grant(view, "demo", "alice", NOW - DAY);
        grant(view, "demo", "bob", WEEK_AGO);
        grant(view, "demo", "dave", WEEK_AGO - 1);
        grant(view, "other", "alice", NOW);

        assertThat(count(view, "demo", "alice", WEEK_AGO)).isEqualTo(2);
        assertThat(count(view, "demo", "bob", WEEK_AGO)).as("a grant at the window's first ms").isEqualTo(1);
        assertThat(count(view, "demo", "dave", WEEK_AGO)).as("a grant a ms before it").isZero();
        assertThat(count(view, "other", "alice", WEEK_AGO)).isEqualTo(1);
        assertThat(count(view, "demo", "carol", WEEK_AGO)).as("a user never granted").isZero();
    }

    @Test
    void theSameGrantBroughtBackByTheStreamCountsOnceAndTwoInOneMillisecondCountTwice() {
        GrantsView view = new GrantsView(1_000, 7 * DAY);
        long alice = GrantsView.key("demo", "alice");
        view.add(alice, NOW - DAY, GrantsView.tag("d1"));
        view.add(alice, NOW - DAY, GrantsView.tag("d1"));
        assertThat(count(view, "demo", "alice", WEEK_AGO)).isEqualTo(1);
        // Another decision in the same millisecond is another grant.
        view.add(alice, NOW - DAY, GrantsView.tag("d2"));
        assertThat(count(view, "demo", "alice", WEEK_AGO)).isEqualTo(2);
    }

    @Test
    void aUserWithMoreGrantsThanItsSetHoldsIsUnknownOnlyForWindowsReachingTheDroppedOne() {
        GrantsView view = new GrantsView(1_000, 7 * DAY);
        for (int i = 0; i < GrantsView.WAYS + 2; i++) {
            grant(view, "demo", "alice", NOW - (20 - i) * 60_000L);
        }
        // Grants at -20 ... -11 minutes: the two oldest (-20, -19) were dropped.
        assertThat(count(view, "demo", "alice", NOW - DAY)).isEqualTo(GrantsView.UNKNOWN);
        assertThat(count(view, "demo", "alice", NOW - 19 * 60_000L)).isEqualTo(GrantsView.UNKNOWN);
        assertThat(count(view, "demo", "alice", NOW - 19 * 60_000L + 1)).isEqualTo(GrantsView.WAYS);
        assertThat(count(view, "demo", "alice", NOW - 12 * 60_000L)).isEqualTo(2);
        assertThat(view.lowerBound(GrantsView.key("demo", "alice"), NOW - DAY)).isEqualTo(GrantsView.WAYS);
    }

    @Test
    void aGrantOlderThanAllKeptArrivingLateIsTheOneDropped() {
        GrantsView view = new GrantsView(1_000, 7 * DAY);
        for (int i = 0; i < GrantsView.WAYS; i++) {
            grant(view, "demo", "alice", NOW - i * 60_000L);
        }
        grant(view, "demo", "alice", NOW - DAY);
        assertThat(count(view, "demo", "alice", NOW - 2 * DAY)).isEqualTo(GrantsView.UNKNOWN);
        assertThat(count(view, "demo", "alice", NOW - DAY + 1)).isEqualTo(GrantsView.WAYS);
    }

    @Test
    void aFullTableForgetsTheOldestAndNeverAnswersForAUserItForgot() {
        GrantsView view = new GrantsView(64, 7 * DAY);
        // A moderate overflow (a sixth of the grants forgotten), and below it a flood that fills every filter.
        int users = 80;
        for (int u = 0; u < users; u++) {
            grant(view, "demo", "user-" + u, NOW - (users - u) * 1_000L);
        }
        long held = 0;
        int exact = 0;
        for (int u = 0; u < users; u++) {
            long key = GrantsView.key("demo", "user-" + u);
            long n = count(view, "demo", "user-" + u, NOW - DAY);
            long kept = view.lowerBound(key, NOW - DAY);
            held += kept;
            if (kept == 0) {
                // Forgotten: never a wrong count of 0.
                assertThat(n).as("user-%d, forgotten", u).isEqualTo(GrantsView.UNKNOWN);
            } else {
                assertThat(n).as("user-%d, held", u).isIn(GrantsView.UNKNOWN, 1L);
                exact += n == 1 ? 1 : 0;
            }
        }
        assertThat(held).as("grants held").isBetween((long) view.capacity() * 3 / 4, (long) view.capacity());
        assertThat(exact).as("held users still answered, though their sets forgot others").isGreaterThan(48);
        // The newest grants are the ones kept, whatever sets they fell in.
        for (int u = users - 3; u < users; u++) {
            assertThat(view.lowerBound(GrantsView.key("demo", "user-" + u), NOW - DAY)).as("user-%d", u).isEqualTo(1);
        }
        // A window that starts after every forgotten grant is exact again, for everyone.
        for (int u = 0; u < 200; u++) {
            assertThat(count(view, "demo", "never-" + u, NOW - 500)).isZero();
        }
        for (int u = users; u < 5_000; u++) {
            grant(view, "demo", "user-" + u, NOW - 1_000L + u / 10);
        }
        for (int u = 0; u < 5_000; u++) {
            if (view.lowerBound(GrantsView.key("demo", "user-" + u), NOW - DAY) == 0) {
                assertThat(count(view, "demo", "user-" + u, NOW - DAY)).as("user-%d, forgotten", u)
                        .isEqualTo(GrantsView.UNKNOWN);
            }
        }
    }

    @Test
    void whatASetForgotIsLetGoOnceNoWindowReachesIt() {
        GrantsView view = new GrantsView(8, 7 * DAY);
        // Nine grants in one set of eight: the first, three weeks ago, is forgotten.
        for (int i = 0; i < GrantsView.WAYS + 1; i++) {
            grant(view, "demo", "alice", NOW - 21 * DAY + i);
        }
        assertThat(count(view, "demo", "alice", NOW - 22 * DAY)).isEqualTo(GrantsView.UNKNOWN);
        assertThat(count(view, "demo", "alice", NOW - 7 * DAY)).as("a window after it").isZero();
        // Grants of this week push out those of three weeks ago: the old span's memory is replaced, and a window
        // reaching back before the span kept is unknown rather than wrongly exact.
        for (int i = 0; i < GrantsView.WAYS + 1; i++) {
            grant(view, "demo", "bob", NOW - DAY + i);
        }
        assertThat(count(view, "demo", "bob", NOW - 2 * DAY)).isEqualTo(GrantsView.UNKNOWN);
        assertThat(count(view, "demo", "alice", NOW - 2 * DAY)).as("alice's bits need not match bob's")
                .isIn(0L, GrantsView.UNKNOWN);
        assertThat(count(view, "demo", "alice", NOW - 30 * DAY)).isEqualTo(GrantsView.UNKNOWN);
        assertThat(count(view, "demo", "bob", NOW - DAY + GrantsView.WAYS + 1)).isZero();
    }
}
