package dev.allot.control;

import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What every {@link CityStateStore} must do, run against each implementation (Redis and in memory), so that
 * a simulation or a replay on the in-memory store behaves as the service does on Redis.
 */
public abstract class CityStateStoreContract {

    protected abstract CityStateStore store();

    /** Writes a decision through the implementation's sink and waits until it is visible. */
    protected abstract void append(DecisionEvent event) throws Exception;

    /** Makes the city's controller lock lapse, as when its holder dies. */
    protected abstract void expireLock(String city) throws Exception;

    protected static DecisionEvent decision(String id, String user, String day, long ts, boolean coupon) {
        return new DecisionEvent("c", day, id, user, ts, coupon, Map.of("decisionId", id),
                Map.of("day", day, "coupon", coupon ? "4.0" : "0.0"),
                Map.of(CityTotals.DECISIONS, 1.0, CityTotals.CONVERSIONS, 0.5, CityTotals.REVENUE, 6.0));
    }

    protected static <T> T get(java.util.concurrent.CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get();
    }

    @Test
    void theFirstClaimOfARequestIdWinsAndLaterOnesGetItsResponse() throws Exception {
        assertThat(get(store().claim("c", "req-1", "first"))).isEmpty();
        assertThat(get(store().claim("c", "req-1", "second"))).contains("first");
        assertThat(get(store().prepare("c", "req-1", "u", 0)).storedResponse()).contains("first");
        assertThat(get(store().prepare("c", null, "u", 0)).storedResponse()).isEmpty();
    }

    @Test
    void countsAUsersCouponsInsideTheWindowOnly() throws Exception {
        append(decision("d1", "u", "day", 1_000, true));
        append(decision("d2", "u", "day", 5_000, true));
        append(decision("d3", "u", "day", 6_000, true));
        append(decision("d4", "u", "day", 7_000, false));
        append(decision("d5", "other", "day", 7_000, true));
        assertThat(get(store().prepare("c", null, "u", 2_000)).couponsInWindow()).isEqualTo(2);
    }

    @Test
    void decisionsAddToTheirDaysTotals() throws Exception {
        append(decision("d1", "u", "day-1", 1_000, true));
        append(decision("d2", "u", "day-1", 2_000, false));
        append(decision("d3", "u", "day-2", 3_000, false));
        CityTotals day1 = get(store().totals("c", "day-1"));
        assertThat(day1.decisions()).isEqualTo(2);
        assertThat(day1.expectedAveragePrice()).isEqualTo(12.0);
        assertThat(get(store().totals("c", "day-2")).decisions()).isEqualTo(1);
        assertThat(get(store().totals("c", "day-3")).decisions()).isZero();
    }

    @Test
    void anOutcomeCountsOnceAndAnUnknownDecisionIsReported() throws Exception {
        append(decision("d1", "u", "2026-11-23", 1, true));
        assertThat(get(store().recordOutcome("c", "d1", "2026-11-23", true, 12, 2, 1)))
                .isEqualTo(CityStateStore.OutcomeResult.COUNTED);
        assertThat(get(store().recordOutcome("c", "d1", "2026-11-23", true, 12, 2, 2)))
                .isEqualTo(CityStateStore.OutcomeResult.DUPLICATE);
        assertThat(get(store().recordOutcome("c", "nope", "2026-11-23", true, 12, 2, 3)))
                .isEqualTo(CityStateStore.OutcomeResult.UNKNOWN_DECISION);
        CityTotals totals = get(store().totals("c", "2026-11-23"));
        assertThat(totals.get(CityTotals.PURCHASES)).isEqualTo(1.0);
        assertThat(totals.realizedAveragePrice()).isEqualTo(12.0);
        assertThat(get(store().decisionRecord("c", "d1"))).containsEntry("coupon", "4.0");
    }

    @Test
    void aReleasedLockIsTakenAtOnceAndOnlyItsHolderCanReleaseIt() throws Exception {
        assertThat(get(store().lock("c", "replica-a", 60_000))).isTrue();
        assertThat(get(store().unlock("c", "replica-b"))).isFalse();
        assertThat(get(store().lock("c", "replica-b", 60_000))).isFalse();
        assertThat(get(store().unlock("c", "replica-a"))).isTrue();
        assertThat(get(store().lock("c", "replica-b", 60_000))).isTrue();
    }

    @Test
    void onlyTheReplicaHoldingTheLockTicksACity() throws Exception {
        PidGains gains = new PidGains(0.1, 0.01, 0, 10, 0, 5);
        var constraint = new BudgetConstraint.AveragePriceFloor(14);
        // Average expected price 12: two under the floor of 14.
        append(decision("d1", "u", "d", 0, false));
        PidTicker a = new PidTicker(store(), "replica-a");
        PidTicker b = new PidTicker(store(), "replica-b");
        PidTicker.Tick first = get(a.tick("c", "d", constraint, gains, 1.0, false, 0));
        PidTicker.Tick blocked = get(b.tick("c", "d", constraint, gains, 1.0, false, 0));
        assertThat(first.state()).isPresent();
        assertThat(first.error()).isEqualTo(2.0);
        // A bumpless start (base 1 - Kp 0.1*2), then Ki 0.01*(2*10): 1.2
        assertThat(first.state().get().lambda()).isCloseTo(1.2, org.assertj.core.api.Assertions.within(1e-12));
        assertThat(blocked.state()).isEmpty();
        assertThat(get(store().lambda("c")).orElseThrow()).isCloseTo(1.2, org.assertj.core.api.Assertions.within(1e-12));

        // The holder dies: once its lock lapses, the other replica takes over from the stored state, one interval
        // (10 s) after the last step, not sooner.
        expireLock("c");
        assertThat(get(b.tick("c", "d", constraint, gains, 1.0, false, 4_000)).state()).as("not due").isEmpty();
        PidTicker.Tick takeover = get(b.tick("c", "d", constraint, gains, 1.0, false, 10_000));
        // The integral goes on from the stored state: 0.8 + 0.1*2 + 0.01*(20 + 20)
        assertThat(takeover.state().map(PidState::lambda).orElseThrow())
                .isCloseTo(1.4, org.assertj.core.api.Assertions.within(1e-12));
        assertThat(takeover.state().get().ticks()).isEqualTo(2);
    }

    @Test
    void aNewDayStartsFromItsStoredLambda0() throws Exception {
        PidGains gains = new PidGains(0.1, 0.01, 0, 10, 0, 5);
        var constraint = new BudgetConstraint.AveragePriceFloor(14);
        PidTicker ticker = new PidTicker(store(), "r");
        append(decision("d1", "u", "day-1", 0, false));
        get(ticker.tick("c", "day-1", constraint, gains, 1.0, false, 0));
        get(store().setLambda0("c", "day-2", 0.3));
        append(decision("d2", "u", "day-2", 0, false));
        PidTicker.Tick next = get(ticker.tick("c", "day-2", constraint, gains, 1.0, false, 0));
        // The new day centres on its λ₀, starts bumpless and integrates: 0.3 + 0.01*(2*10)
        assertThat(next.state().get().lambda()).isCloseTo(0.5, org.assertj.core.api.Assertions.within(1e-12));
        assertThat(next.state().get().ticks()).isEqualTo(1);
    }

    @Test
    void aFrozenCityKeepsItsLambda() throws Exception {
        get(store().setPidFields("c", Map.of("lambda", "0.7", "frozen", "1")));
        PidTicker.Tick tick = get(new PidTicker(store(), "r").tick("c", "d", new BudgetConstraint.AveragePriceFloor(14),
                new PidGains(1, 0, 0, 10, 0, 5), 1.0, false, 0));
        assertThat(tick.state()).isEmpty();
    }
}
