package dev.allot.control.redis;

import dev.allot.control.CityStateStore;
import dev.allot.control.CityTotals;
import dev.allot.control.DecisionEvent;
import dev.allot.control.DecisionIds;
import dev.allot.control.Utf8Fields;
import dev.allot.control.journal.Journal;
import io.lettuce.core.Range;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class WriteBehindLogTest {

    @RegisterExtension
    static final EmbeddedRedisExtension REDIS = new EmbeddedRedisExtension();

    private static final WriteBehindLog.Settings SETTINGS = new WriteBehindLog.Settings(3600, 3600, 3600, 3600, 1000, 7,
            100_000);

    @TempDir
    Path dir;

    private StatefulRedisConnection<String, String> connection;
    private WriteBehindLog log;
    private CityStore store;

    @BeforeEach
    void setUp() {
        REDIS.flushAll();
        connection = REDIS.connect();
        log = new WriteBehindLog(RedisLink.of(connection), SETTINGS);
        store = new CityStore(connection);
    }

    @AfterEach
    void tearDown() {
        connection.close();
    }

    @Test
    void totalsInRedisEqualTheSumOfEveryAppendedDecision() throws Exception {
        double conversions = 0;
        for (int i = 0; i < 100; i++) {
            double r = 0.01 * (i % 17);
            conversions += r;
            log.append(event("city-a", "u" + (i % 9), r, i % 2 == 0));
        }
        WriteBehindLog.FlushReport report = log.flush().toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertThat(report.succeeded()).isTrue();
        assertThat(report.decisions()).isEqualTo(100);
        assertThat(report.batches()).as("batches of at most 7").isEqualTo(15);
        CityTotals totals = store.totals("city-a", "2026-11-23").toCompletableFuture().get();
        assertThat(totals.decisions()).isEqualTo(100);
        assertThat(totals.get(CityTotals.CONVERSIONS)).isCloseTo(conversions, within(1e-9));
        assertThat(connection.sync().xlen(RedisKeys.decisions("city-a"))).isEqualTo(100);
        assertThat(connection.sync().zcard(RedisKeys.couponHistory("city-a", "u0"))).isPositive();
        assertThat(log.pendingDecisions()).isZero();
    }

    @Test
    void keepsAGrantInTheUsersHistoryAtItsTimeForEightDays() throws Exception {
        DecisionEvent granted = event("city-h", "u1", 0.5, true);
        log.append(granted);
        assertThat(log.flush().toCompletableFuture().get(5, TimeUnit.SECONDS).succeeded()).isTrue();
        String history = RedisKeys.couponHistory("city-h", "u1");
        assertThat(connection.sync().zscore(history, granted.decisionId()))
                .isEqualTo((double) granted.timestampMillis());
        assertThat(connection.sync().ttl(history)).isBetween(8 * 86_400L - 60, 8 * 86_400L);
    }

    @Test
    void aDecisionWaitsForTheBacklogToShrinkWhileRedisTakesWritesButNotDuringAnOutage() throws Exception {
        for (int i = 0; i < 100; i++) {
            log.append(event("city-w", "u" + i, 0.1, false));
        }
        var held = log.whenBelow(50).toCompletableFuture();
        assertThat(log.whenBelow(101).toCompletableFuture()).as("a backlog under the bound").isDone();
        assertThat(held).isNotDone();
        assertThat(log.flush().toCompletableFuture().get(5, TimeUnit.SECONDS).succeeded()).isTrue();
        assertThat(held).as("released once Redis took the backlog").isDone();

        REDIS.stop();
        try {
            for (int i = 0; i < 100; i++) {
                log.append(event("city-w", "v" + i, 0.1, false));
            }
            var waiting = log.whenBelow(50).toCompletableFuture();
            assertThat(log.flush().toCompletableFuture().get(5, TimeUnit.SECONDS).succeeded()).isFalse();
            assertThat(waiting).as("released when the send failed").isDone();
            assertThat(log.whenBelow(50).toCompletableFuture()).as("an outage is not waited out").isDone();
        } finally {
            REDIS.start();
        }
        assertThat(awaitFlush().succeeded()).isTrue();
        // The server restarted empty (no persistence in tests): the outage's 100 decisions arrive, none lost.
        assertThat(connection.sync().xlen(RedisKeys.decisions("city-w"))).isEqualTo(100);
    }

    @Test
    void keepsDecisionsThroughAnOutageAndWritesThemOnceWhenRedisIsBack() throws Exception {
        log.append(event("city-b", "u1", 0.5, true));
        log.flush().toCompletableFuture().get(5, TimeUnit.SECONDS);

        REDIS.stop();
        try {
            for (int i = 0; i < 20; i++) {
                log.append(event("city-b", "u2", 0.25, false));
            }
            WriteBehindLog.FlushReport failed = log.flush().toCompletableFuture().get(5, TimeUnit.SECONDS);
            assertThat(failed.succeeded()).isFalse();
            assertThat(log.pendingDecisions()).isEqualTo(20);
            log.append(event("city-b", "u3", 0.25, false));
        } finally {
            REDIS.start();
        }
        WriteBehindLog.FlushReport report = awaitFlush();
        assertThat(report.succeeded()).isTrue();
        assertThat(log.pendingDecisions()).isZero();
        CityTotals totals = store.totals("city-b", "2026-11-23").toCompletableFuture().get();
        // The server restarted empty (no persistence in tests): exactly the 21 buffered decisions arrive.
        assertThat(totals.decisions()).isEqualTo(21);
        assertThat(totals.get(CityTotals.CONVERSIONS)).isCloseTo(21 * 0.25, within(1e-9));
    }

    @Test
    void aQueuedOutcomeIsAppliedOnceAfterItsDecision() throws Exception {
        DecisionEvent decision = event("city-c", "u1", 0.5, true);
        log.append(decision);
        log.appendOutcome(new Journal.Outcome("city-c", decision.decisionId(), true, 14.0, 1L, false));
        log.appendOutcome(new Journal.Outcome("city-c", decision.decisionId(), true, 14.0, 2L, false));
        log.appendOutcome(new Journal.Outcome("city-c", "no-such-decision", true, 14.0, 3L, false));
        assertThat(log.flush().toCompletableFuture().get(5, TimeUnit.SECONDS).succeeded()).isTrue();
        assertThat(log.pendingOutcomes()).isZero();
        CityTotals totals = store.totals("city-c", "2026-11-23").toCompletableFuture().get();
        assertThat(totals.get(CityTotals.PURCHASES)).isEqualTo(1.0);
        assertThat(totals.get(CityTotals.REALIZED_REVENUE)).isEqualTo(14.0);
        assertThat(totals.get(CityTotals.REALIZED_SPEND)).isEqualTo(4.0);
    }

    @Test
    void aBacklogJournaledWhileRedisIsDownIsSentOnceByTheNextProcess() throws Exception {
        WriteBehindLog first = new WriteBehindLog(RedisLink.of(connection), SETTINGS, journal());
        REDIS.stop();
        WriteBehindLog.FlushReport left;
        try {
            for (int i = 0; i < 40; i++) {
                first.append(event("city-d", "u" + i, 0.5, i % 2 == 0));
            }
            assertThat(first.flush().toCompletableFuture().get(5, TimeUnit.SECONDS).succeeded()).isFalse();
            left = first.close(java.time.Duration.ofMillis(500));
        } finally {
            REDIS.start();
        }
        assertThat(left.pendingDecisions()).isEqualTo(40);

        log = new WriteBehindLog(RedisLink.of(connection), SETTINGS, journal());
        assertThat(log.pendingDecisions()).as("read back from the journal").isEqualTo(40);
        assertThat(awaitFlush().succeeded()).isTrue();
        assertThat(log.pendingDecisions()).isZero();
        CityTotals totals = store.totals("city-d", "2026-11-23").toCompletableFuture().get();
        assertThat(totals.decisions()).isEqualTo(40);
        assertThat(connection.sync().xlen(RedisKeys.decisions("city-d"))).isEqualTo(40);
        log.close(java.time.Duration.ofSeconds(1));
    }

    @Test
    void aStaleCursorResendsBatchesThatCountOnlyOnce() throws Exception {
        log = new WriteBehindLog(RedisLink.of(connection), SETTINGS, journal());
        for (int i = 0; i < 30; i++) {
            log.append(event("city-e", "u" + i, 0.5, false));
        }
        assertThat(log.flush().toCompletableFuture().get(5, TimeUnit.SECONDS).succeeded()).isTrue();
        log.close(java.time.Duration.ofSeconds(1));
        // A crash between Redis confirming and the cursor reaching disk: the next process sends everything again.
        Files.delete(dir.resolve("cursor"));

        log = new WriteBehindLog(RedisLink.of(connection), SETTINGS, journal());
        assertThat(log.pendingDecisions()).isEqualTo(30);
        assertThat(log.flush().toCompletableFuture().get(5, TimeUnit.SECONDS).succeeded()).isTrue();
        assertThat(store.totals("city-e", "2026-11-23").toCompletableFuture().get().decisions()).isEqualTo(30);
        assertThat(connection.sync().xlen(RedisKeys.decisions("city-e"))).isEqualTo(30);
        log.close(java.time.Duration.ofSeconds(1));
    }

    @Test
    void restoresItsShareOfTheDayWhenRedisLosesItsData() throws Exception {
        log = new WriteBehindLog(RedisLink.of(connection), SETTINGS, journal());
        DecisionEvent decided = event("city-f", "u0", 0.5, true);
        log.append(decided);
        log.appendOutcome(new Journal.Outcome("city-f", decided.decisionId(), true, 14.0, 1L, false));
        for (int i = 1; i < 25; i++) {
            log.append(event("city-f", "u" + i, 0.5, true));
        }
        assertThat(log.flush().toCompletableFuture().get(5, TimeUnit.SECONDS).succeeded()).isTrue();
        log.append(event("city-other", "u0", 0.5, true));
        assertThat(log.flush().toCompletableFuture().get(5, TimeUnit.SECONDS).succeeded()).isTrue();
        REDIS.flushAll();

        assertThat(log.restoreAfterDataLoss("city-f").toCompletableFuture().get(5, TimeUnit.SECONDS)).isEqualTo(25);
        assertThat(log.flush().toCompletableFuture().get(5, TimeUnit.SECONDS).succeeded()).isTrue();
        CityTotals totals = store.totals("city-f", "2026-11-23").toCompletableFuture().get();
        assertThat(totals.decisions()).isEqualTo(25);
        assertThat(totals.get(CityTotals.PURCHASES)).isEqualTo(1.0);
        assertThat(connection.sync().xlen(RedisKeys.decisions("city-f"))).isEqualTo(25);
        assertThat(connection.sync().zcard(RedisKeys.couponHistory("city-f", "u3"))).isEqualTo(1);
        assertThat(connection.sync().exists(RedisKeys.totals("city-other", "2026-11-23")))
                .as("another city's data is restored only when that city lost it").isZero();

        // A second restore with Redis intact changes nothing: the markers are back.
        log.restoreAfterDataLoss("city-f").toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertThat(log.flush().toCompletableFuture().get(5, TimeUnit.SECONDS).succeeded()).isTrue();
        assertThat(store.totals("city-f", "2026-11-23").toCompletableFuture().get().decisions()).isEqualTo(25);
        log.close(java.time.Duration.ofSeconds(1));
    }

    @Test
    void keepsTheBacklogOnDiskNotInTheHeapWhileRedisIsDown() throws Exception {
        log = new WriteBehindLog(RedisLink.of(connection), SETTINGS.withMaxPending(50), journal());
        REDIS.stop();
        try {
            for (int round = 0; round < 10; round++) {
                for (int i = 0; i < 40; i++) {
                    assertThat(log.full()).as("round %d", round).isFalse();
                    log.append(event("city-g", "u" + i, 0.5, false));
                }
                assertThat(log.flush().toCompletableFuture().get(5, TimeUnit.SECONDS).succeeded()).isFalse();
            }
            assertThat(log.pendingDecisions()).isEqualTo(400);
        } finally {
            REDIS.start();
        }
        assertThat(awaitFlush().succeeded()).isTrue();
        assertThat(store.totals("city-g", "2026-11-23").toCompletableFuture().get().decisions()).isEqualTo(400);
        log.close(java.time.Duration.ofSeconds(1));
    }

    @Test
    void theStreamKeepsEntriesForItsRetentionOnly() throws Exception {
        try (StatefulRedisConnection<String, String> c = REDIS.connect()) {
            // An entry from ten days ago, as a stream that has run for that long holds.
            c.sync().xadd(RedisKeys.decisions("city-h"), new io.lettuce.core.XAddArgs()
                    .id((System.currentTimeMillis() - 10 * 86_400_000L) + "-0"), Map.of("decisionId", "old"));
            log = new WriteBehindLog(RedisLink.of(connection), WriteBehindLog.Settings.defaults()
                    .withStreamRetentionDays(8));
            for (int i = 0; i < 5; i++) {
                log.append(event("city-h", "u" + i, 0.5, false));
            }
            assertThat(log.flush().toCompletableFuture().get(5, TimeUnit.SECONDS).succeeded()).isTrue();
            assertThat(c.sync().xlen(RedisKeys.decisions("city-h"))).isEqualTo(5);
        }
    }

    @Test
    void aLongBacklogGoesOutOverSeveralFlushesSoEachFlushJournalsWhatIsNew() throws Exception {
        WriteBehindLog.Settings onePerBatch = new WriteBehindLog.Settings(3600, 3600, 3600, 3600, 100_000, 1, 100_000);
        log = new WriteBehindLog(RedisLink.of(connection), onePerBatch, journal());
        REDIS.stop();
        try {
            for (int i = 0; i < 1_500; i++) {
                log.append(event("city-i", "u" + i, 0.5, false));
            }
            assertThat(log.flush().toCompletableFuture().get(5, TimeUnit.SECONDS).succeeded()).isFalse();
        } finally {
            REDIS.start();
        }
        WriteBehindLog.FlushReport first = awaitFlush();
        assertThat(first.decisions()).as("five chunks of 200 batches").isEqualTo(1_000);
        assertThat(log.pendingDecisions()).isEqualTo(500);
        log.append(event("city-i", "late", 0.5, false));
        var journalEnd = log.journal().end();
        WriteBehindLog.FlushReport second = log.flush().toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertThat(log.journal().end()).as("the new decision was journaled").isGreaterThan(journalEnd);
        assertThat(second.decisions()).isEqualTo(501);
        assertThat(store.totals("city-i", "2026-11-23").toCompletableFuture().get().decisions()).isEqualTo(1_501);
        log.close(java.time.Duration.ofSeconds(1));
    }

    @Test
    void aCountedOutcomeIsNotSentAgainButComesBackWithARestore() throws Exception {
        log = new WriteBehindLog(RedisLink.of(connection), SETTINGS, journal());
        DecisionEvent decided = event("city-j", "u0", 0.5, true);
        log.append(decided);
        assertThat(log.flush().toCompletableFuture().get(5, TimeUnit.SECONDS).succeeded()).isTrue();
        // The request path counted it in Redis, then journaled it as counted.
        store.recordOutcome("city-j", decided.decisionId(), "2026-11-23", true, 14.0, 4.0, 1L)
                .toCompletableFuture().get();
        log.appendOutcome(new Journal.Outcome("city-j", decided.decisionId(), true, 14.0, 1L, true));
        assertThat(log.flush().toCompletableFuture().get(5, TimeUnit.SECONDS).succeeded()).isTrue();
        assertThat(log.pendingOutcomes()).isZero();
        assertThat(connection.sync().xlen(RedisKeys.outcomes("city-j"))).as("not sent a second time").isEqualTo(1);

        REDIS.flushAll();
        log.restoreAfterDataLoss("city-j").toCompletableFuture().get(5, TimeUnit.SECONDS);
        CityTotals totals = store.totals("city-j", "2026-11-23").toCompletableFuture().get();
        assertThat(totals.decisions()).isEqualTo(1);
        assertThat(totals.get(CityTotals.PURCHASES)).as("the outcome comes back with the restore").isEqualTo(1.0);
        log.close(java.time.Duration.ofSeconds(1));
    }

    @Test
    void aBatchSentAgainAfterItsMarkerExpiredLeavesOutcomeIndexesAsTheyAre() throws Exception {
        log = new WriteBehindLog(RedisLink.of(connection), SETTINGS, journal());
        long now = System.currentTimeMillis();
        // Time-ordered ids: their indexes share the hash of their second.
        DecisionEvent bought = timed(event("city-m", "u0", 0.5, true), DecisionIds.next("city-m", now));
        DecisionEvent other = timed(event("city-m", "u1", 0.5, false), DecisionIds.next("city-m", now));
        log.append(bought);
        log.append(other);
        assertThat(log.flush().toCompletableFuture().get(5, TimeUnit.SECONDS).succeeded()).isTrue();
        String second = RedisKeys.decisionSecond("city-m", bought.decisionId());
        assertThat(connection.sync().hlen(second)).isEqualTo(2);
        assertThat(connection.sync().ttl(second)).isPositive();
        assertThat(store.recordOutcome("city-m", bought.decisionId(), "2026-11-23", true, 14.0, 4.0, 1L)
                .toCompletableFuture().get()).isEqualTo(CityStateStore.OutcomeResult.COUNTED);
        String counted = connection.sync().hget(second, bought.decisionId());
        assertThat(counted).contains("\"outcome\":\"1\"");
        log.close(java.time.Duration.ofSeconds(1));

        // The journal sends the batch again (a stale cursor) after its marker has expired: the script applies it,
        // but each outcome index is written once, so the counted outcome stays.
        Files.delete(dir.resolve("cursor"));
        connection.sync().keys(RedisKeys.flushMarker("city-m", "*")).forEach(k -> connection.sync().del(k));
        log = new WriteBehindLog(RedisLink.of(connection), SETTINGS, journal());
        assertThat(log.flush().toCompletableFuture().get(5, TimeUnit.SECONDS).succeeded()).isTrue();
        assertThat(connection.sync().hget(second, bought.decisionId())).isEqualTo(counted);
        assertThat(connection.sync().hlen(second)).isEqualTo(2);
        assertThat(store.recordOutcome("city-m", bought.decisionId(), "2026-11-23", true, 14.0, 4.0, 1L)
                .toCompletableFuture().get()).as("still counted once").isEqualTo(CityStateStore.OutcomeResult.DUPLICATE);
        assertThat(store.recordOutcome("city-m", other.decisionId(), "2026-11-23", false, 0.0, 0.0, 1L)
                .toCompletableFuture().get()).isEqualTo(CityStateStore.OutcomeResult.COUNTED);
        log.close(java.time.Duration.ofSeconds(1));
    }

    private static DecisionEvent timed(DecisionEvent e, String id) {
        return new DecisionEvent(e.city(), e.day(), id, e.userId(), e.timestampMillis(), e.couponGiven(),
                Map.of("decisionId", id, "userId", e.userId()), e.record(), e.totals());
    }

    @Test
    void anOutcomeThatArrivesBeforeItsDecisionWaitsForIt() throws Exception {
        DecisionEvent decided = event("city-k", "u0", 0.5, true);
        // Its decision is still in another replica's backlog: Redis does not know it yet.
        log.appendOutcome(new Journal.Outcome("city-k", decided.decisionId(), true, 14.0, System.currentTimeMillis(),
                false));
        assertThat(log.flush().toCompletableFuture().get(5, TimeUnit.SECONDS).succeeded()).isTrue();
        log.append(decided);
        assertThat(log.flush().toCompletableFuture().get(5, TimeUnit.SECONDS).succeeded()).isTrue();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (store.totals("city-k", "2026-11-23").toCompletableFuture().get().get(CityTotals.PURCHASES) < 1.0) {
            assertThat(System.nanoTime()).as("the outcome was counted within 15 s").isLessThan(deadline);
            log.flush().toCompletableFuture().get(5, TimeUnit.SECONDS);
            Thread.sleep(200);
        }
        assertThat(log.pendingOutcomes()).isZero();
    }

    private Journal journal() throws java.io.IOException {
        return Journal.open(Journal.Settings.defaults(dir));
    }

    private WriteBehindLog.FlushReport awaitFlush() throws Exception {
        // Lettuce reconnects in the background; each attempt is a real flush that may still find it down.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        WriteBehindLog.FlushReport report;
        do {
            report = log.flush().toCompletableFuture().get(5, TimeUnit.SECONDS);
            if (!report.succeeded()) {
                Thread.sleep(100);
            }
        } while (!report.succeeded() && System.nanoTime() < deadline);
        return report;
    }

    static DecisionEvent event(String city, String user, double conversion, boolean coupon) {
        String id = UUID.randomUUID().toString();
        Map<String, Double> totals = new LinkedHashMap<>();
        totals.put(CityTotals.DECISIONS, 1.0);
        totals.put(CityTotals.CONVERSIONS, conversion);
        totals.put(CityTotals.REVENUE, conversion * 14);
        Map<String, String> record = new LinkedHashMap<>();
        record.put("day", "2026-11-23");
        record.put("coupon", coupon ? "4.0" : "0.0");
        return new DecisionEvent(city, "2026-11-23", id, user, System.currentTimeMillis(), coupon,
                Map.of("decisionId", id, "userId", user), record, totals);
    }

    @Test
    void writesOneEntryPerBatchAndReadsBackEveryDecisionInOrder() throws Exception {
        List<String> written = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            written.add(appendRecord(i, "{\"n\":" + i + ",\"note\":\"line\\nbreak, é, \\u2028\"}"));
        }
        log.flush().toCompletableFuture().get(5, TimeUnit.SECONDS);

        assertThat(connection.sync().xlen(RedisKeys.decisions("c"))).as("batches of at most 7").isEqualTo(5);
        var entries = connection.sync().xrange(RedisKeys.decisions("c"), Range.create("-", "+"));
        assertThat(entries).allSatisfy(e -> assertThat(e.getBody()).containsOnlyKeys(DecisionStream.RECORDS));
        List<String> read = new ArrayList<>();
        entries.forEach(e -> DecisionStream.decisions(e.getBody()).forEach(d -> read.add(d.get(DecisionStream.RECORD))));
        assertThat(read).isEqualTo(written);

        CityStore.StreamSlice all = store.decisionsBackward("c", 1_000, d -> false).toCompletableFuture().get();
        assertThat(records(all.entries())).isEqualTo(written);
        assertThat(all.truncated()).isFalse();
        assertThat(all.newestId()).isEqualTo(entries.get(entries.size() - 1).getId());
        assertThat(records(store.recentDecisions("c", 10).toCompletableFuture().get()))
                .isEqualTo(written.subList(20, 30));
        // Read forward from the start: the first page is sized for full batches, the next ones by what it found.
        CityStore.StreamSlice forward = store.decisionsAfter("c", "0", 1_000).toCompletableFuture().get();
        assertThat(records(forward.entries())).isEqualTo(written);
        assertThat(forward.truncated()).isFalse();
        assertThat(forward.newestId()).isEqualTo(all.newestId());
    }

    @Test
    void readsStopAtTheirBoundInsideAnEntry() throws Exception {
        List<String> written = new ArrayList<>();
        for (int i = 0; i < 14; i++) {
            written.add(appendRecord(i, "{\"n\":" + i + "}"));
        }
        log.flush().toCompletableFuture().get(5, TimeUnit.SECONDS);

        CityStore.StreamSlice newest = store.decisionsBackward("c", 3, d -> false).toCompletableFuture().get();
        assertThat(records(newest.entries())).isEqualTo(written.subList(11, 14));
        assertThat(newest.truncated()).isTrue();
        CityStore.StreamSlice untilFive = store.decisionsBackward("c", 100,
                d -> d.get(DecisionStream.RECORD).equals("{\"n\":5}")).toCompletableFuture().get();
        assertThat(records(untilFive.entries())).as("after the stopping decision, within the first entry")
                .isEqualTo(written.subList(6, 14));

        String firstEntry = connection.sync().xrange(RedisKeys.decisions("c"), Range.create("-", "+")).get(0).getId();
        CityStore.StreamSlice after = store.decisionsAfter("c", firstEntry, 100).toCompletableFuture().get();
        assertThat(records(after.entries())).as("the entries after the first, whole").isEqualTo(written.subList(7, 14));
        assertThat(after.truncated()).isFalse();
        CityStore.StreamSlice one = store.decisionsAfter("c", "0", 1).toCompletableFuture().get();
        assertThat(records(one.entries())).as("a whole entry, though one was asked").isEqualTo(written.subList(0, 7));
        assertThat(one.truncated()).isTrue();
        assertThat(one.newestId()).isEqualTo(firstEntry);
    }

    @Test
    void readsEntriesOfOneDecisionWrittenBeforeBatchesBesideBatches() throws Exception {
        connection.sync().xadd(RedisKeys.decisions("c"), Map.of(DecisionStream.RECORD, "{\"old\":1}"));
        String batched = appendRecord(0, "{\"n\":0}");
        log.flush().toCompletableFuture().get(5, TimeUnit.SECONDS);

        assertThat(records(store.recentDecisions("c", 5).toCompletableFuture().get()))
                .containsExactly("{\"old\":1}", batched);
    }

    private String appendRecord(int i, String json) {
        long now = System.currentTimeMillis();
        String id = DecisionIds.next("c", now);
        log.append(new DecisionEvent("c", "2026-11-23", id, "u" + i, now, i % 2 == 0, new Record(json),
                Map.of("day", "2026-11-23"), Map.of(CityTotals.DECISIONS, 1.0)));
        return json;
    }

    private static List<String> records(List<Map<String, String>> decisions) {
        return decisions.stream().map(d -> d.get(DecisionStream.RECORD)).toList();
    }

    /** A record's stream fields as the engine gives them: one field, its value already UTF-8. */
    private static final class Record extends AbstractMap<String, String> implements Utf8Fields {
        private final String json;

        Record(String json) {
            this.json = json;
        }

        @Override
        public Map<String, byte[]> utf8() {
            return Map.of(DecisionStream.RECORD, json.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public Set<Entry<String, String>> entrySet() {
            return Map.of(DecisionStream.RECORD, json).entrySet();
        }
    }
}
