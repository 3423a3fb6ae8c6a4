package dev.allot.control.redis;

import dev.allot.control.CityTotals;
import dev.allot.control.DecisionEvent;
import dev.allot.control.GrantsView;
import io.lettuce.core.Range;
import io.lettuce.core.XAddArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class GrantsFeedTest {

    @RegisterExtension
    static final EmbeddedRedisExtension REDIS = new EmbeddedRedisExtension();

    private static final WriteBehindLog.Settings SETTINGS = new WriteBehindLog.Settings(3600, 3600, 3600, 3600, 1000,
            50, 100_000);
    private static final long DAY = 86_400_000L;
    private static final Duration WAIT = Duration.ofSeconds(10);

    private StatefulRedisConnection<String, String> connection;
    private final List<AutoCloseable> open = new ArrayList<>();

    @BeforeEach
    void setUp() {
        REDIS.flushAll();
        connection = REDIS.connect();
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
        connection.close();
    }

    private GrantsFeed feed(String... cities) {
        return feed(GrantsFeed.Settings.defaults(), cities);
    }

    private GrantsFeed feed(GrantsFeed.Settings settings, String... cities) {
        RedisLink link = RedisLink.connect(REDIS.url(), Duration.ofMillis(250));
        GrantsFeed feed = new GrantsFeed(link, new GrantsView(10_000, 7 * DAY), List.of(cities), settings).start();
        open.add(feed);
        open.add(link);
        return feed;
    }

    private WriteBehindLog writer() {
        return new WriteBehindLog(RedisLink.of(connection), SETTINGS);
    }

    @Test
    void countsWhatAnotherReplicaFlushedExactlyAsRedisDoes() throws Exception {
        GrantsFeed feed = feed("city-a");
        WriteBehindLog other = writer();
        long now = System.currentTimeMillis();
        Random random = new Random(7);
        for (int i = 0; i < 600; i++) {
            long at = now - (long) (random.nextDouble() * 10 * DAY);
            other.append(event("city-a", "u" + random.nextInt(150), at, random.nextBoolean()));
        }
        assertThat(other.flush().toCompletableFuture().get(10, TimeUnit.SECONDS).succeeded()).isTrue();
        assertThat(feed.awaitCaughtUp(WAIT)).isTrue();

        CityStore store = new CityStore(connection);
        long weekAgo = now - 7 * DAY;
        for (int u = 0; u < 160; u++) {
            long inRedis = store.prepare("city-a", null, "u" + u, weekAgo).toCompletableFuture().get()
                    .couponsInWindow();
            long inView = feed.count("city-a", "u" + u, weekAgo);
            // A user with more grants than the view keeps is left to Redis; every other count is Redis's own.
            if (inView != GrantsView.UNKNOWN || inRedis <= 4) {
                assertThat(inView).as("u%d", u).isEqualTo(inRedis);
            }
        }
        assertThat(feed.answeredFromView()).isGreaterThan(100);
    }

    @Test
    void ownGrantsCountAtOnceAndOnceOnlyWhenTheStreamBringsThemBack() throws Exception {
        GrantsFeed feed = feed("city-a");
        assertThat(feed.awaitCaughtUp(WAIT)).isTrue();
        long at = System.currentTimeMillis();
        DecisionEvent granted = event("city-a", "alice", at, true);
        feed.granted("city-a", "alice", at, granted.decisionId());
        assertThat(feed.count("city-a", "alice", at - DAY)).isEqualTo(1);

        WriteBehindLog own = writer();
        own.append(granted);
        own.flush().toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertThat(feed.awaitCaughtUp(WAIT)).isTrue();
        assertThat(feed.position("city-a")).isNotEqualTo("0-0");
        assertThat(feed.count("city-a", "alice", at - DAY)).isEqualTo(1);
    }

    @Test
    void aCityWhoseDecisionsPredateTheGrantsStreamIsLeftToRedisForAWeek() throws Exception {
        connection.sync().xadd(RedisKeys.decisions("city-old"), Map.of("decisionId", "before"));
        WriteBehindLog writer = writer();
        writer.append(event("city-old", "zed", System.currentTimeMillis(), true));
        // A new city's first batch, written before any replica read its stream: complete from the start.
        writer.append(event("city-flushed", "zed", System.currentTimeMillis(), true));
        writer.flush().toCompletableFuture().get(10, TimeUnit.SECONDS);
        GrantsFeed feed = feed("city-old", "city-new", "city-flushed");
        assertThat(feed.awaitCaughtUp(WAIT)).isTrue();
        long now = System.currentTimeMillis();
        assertThat(feed.count("city-flushed", "zed", now - 7 * DAY)).isEqualTo(1);
        assertThat(feed.count("city-old", "anyone", now - 7 * DAY)).isEqualTo(GrantsView.UNKNOWN);
        assertThat(feed.count("city-old", "anyone", now + 1_000)).as("a window after the stream began").isZero();
        assertThat(feed.count("city-new", "anyone", now - 7 * DAY)).isZero();
        assertThat(connection.sync().get(RedisKeys.grantsSince("city-new"))).isEqualTo("0");
    }

    @Test
    void stopsAnsweringWhenRedisIsGoneAndResumesWhenItIsBack() throws Exception {
        GrantsFeed feed = feed("city-a");
        assertThat(feed.awaitCaughtUp(WAIT)).isTrue();
        long now = System.currentTimeMillis();
        feed.granted("city-a", "bob", now, "d-bob");
        REDIS.stop();
        try {
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (feed.current("city-a") && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(feed.current("city-a")).isFalse();
            assertThat(feed.count("city-a", "bob", now - DAY)).isEqualTo(GrantsView.UNKNOWN);
            assertThat(feed.lowerBound("city-a", "bob", now - DAY)).isEqualTo(1);
        } finally {
            REDIS.start();
        }
        assertThat(feed.awaitCaughtUp(WAIT)).isTrue();
        assertThat(feed.count("city-a", "bob", now - DAY)).isEqualTo(1);
    }

    @Test
    void readsTheStreamAgainWhenRedisLostItsLastEntries() throws Exception {
        GrantsFeed feed = feed(new GrantsFeed.Settings(10, 100, 1_000, 50), "city-a");
        WriteBehindLog writer = writer();
        long now = System.currentTimeMillis();
        writer.append(event("city-a", "carol", now, true));
        writer.flush().toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertThat(feed.awaitCaughtUp(WAIT)).isTrue();
        String read = feed.position("city-a");

        // A failover to a replica that missed the last entries: the stream restarts below what was read.
        connection.sync().del(RedisKeys.grants("city-a"));
        String lower = (Long.parseLong(read.substring(0, read.indexOf('-'))) - 5_000) + "-0";
        connection.sync().xadd(RedisKeys.grants("city-a"), new XAddArgs().id(lower), Map.of(GrantsFeed.FIELD,
                Long.toHexString(GrantsView.key("city-a", "dave")) + ":" + now + ":" + "1f"));
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (feed.count("city-a", "dave", now - DAY) != 1 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(feed.count("city-a", "dave", now - DAY)).isEqualTo(1);
        assertThat(feed.count("city-a", "carol", now - DAY)).as("what the view read before stays").isEqualTo(1);
    }

    @Test
    void aMalformedEntryIsNotSkippedButLeavesTheCityToRedis() throws Exception {
        GrantsFeed feed = feed("city-a");
        assertThat(feed.awaitCaughtUp(WAIT)).isTrue();
        connection.sync().xadd(RedisKeys.grants("city-a"), Map.of(GrantsFeed.FIELD, "not-a-grant"));
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (feed.current("city-a") && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(feed.count("city-a", "anyone", System.currentTimeMillis() - DAY)).isEqualTo(GrantsView.UNKNOWN);
    }

    @Test
    void aBatchGivesTheStreamOneEntryWithEachOfItsGrants() throws Exception {
        WriteBehindLog writer = writer();
        long now = System.currentTimeMillis();
        for (int i = 0; i < 10; i++) {
            writer.append(event("city-a", "e" + i, now, i % 2 == 0));
        }
        writer.flush().toCompletableFuture().get(10, TimeUnit.SECONDS);
        var entries = connection.sync().xrange(RedisKeys.grants("city-a"), Range.unbounded());
        assertThat(entries).hasSize(1);
        assertThat(entries.get(0).getBody().get(GrantsFeed.FIELD).split(",")).hasSize(5);
    }

    private static DecisionEvent event(String city, String user, long at, boolean coupon) {
        String id = UUID.randomUUID().toString();
        Map<String, Double> totals = new LinkedHashMap<>();
        totals.put(CityTotals.DECISIONS, 1.0);
        Map<String, String> record = new LinkedHashMap<>();
        record.put("day", "2026-11-23");
        record.put("coupon", coupon ? "4.0" : "0.0");
        return new DecisionEvent(city, "2026-11-23", id, user, at, coupon, Map.of("decisionId", id, "userId", user),
                record, totals);
    }
}
