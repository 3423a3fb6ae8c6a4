package dev.allot.control.redis;

import dev.allot.control.CityTotals;
import dev.allot.control.DecisionEvent;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class WriteBehindLogTest {

    @RegisterExtension
    static final EmbeddedRedisExtension REDIS = new EmbeddedRedisExtension();

    private StatefulRedisConnection<String, String> connection;
    private WriteBehindLog log;
    private CityStore store;

    @BeforeEach
    void setUp() {
        REDIS.flushAll();
        connection = REDIS.connect();
        log = new WriteBehindLog(connection, new WriteBehindLog.Settings(3600, 3600, 3600, 1000, 7, 100_000));
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
        log.appendOutcome(new WriteBehindLog.OutcomeEvent("city-c", decision.decisionId(), true, 14.0, 1L));
        log.appendOutcome(new WriteBehindLog.OutcomeEvent("city-c", decision.decisionId(), true, 14.0, 2L));
        log.appendOutcome(new WriteBehindLog.OutcomeEvent("city-c", "no-such-decision", true, 14.0, 3L));
        assertThat(log.flush().toCompletableFuture().get(5, TimeUnit.SECONDS).succeeded()).isTrue();
        assertThat(log.pendingOutcomes()).isZero();
        CityTotals totals = store.totals("city-c", "2026-11-23").toCompletableFuture().get();
        assertThat(totals.get(CityTotals.PURCHASES)).isEqualTo(1.0);
        assertThat(totals.get(CityTotals.REALIZED_REVENUE)).isEqualTo(14.0);
        assertThat(totals.get(CityTotals.REALIZED_SPEND)).isEqualTo(4.0);
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
}
