package dev.allot.control.redis;

import dev.allot.control.GrantsView;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XReadArgs;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Collectors;

/**
 * Keeps a {@link GrantsView} fed with every coupon the fleet granted, so a decision knows the user's coupon count
 * without a Redis round trip. Each write-behind batch that records grants also appends them, in the same script, to
 * the city's grants stream ({@link RedisKeys#grants}); every replica reads that stream from its start (the last 8
 * days) and then polls its tail, and adds its own grants to the view the moment it makes them.
 *
 * <p>The view answers for a city only while it is current: its last poll that reached the stream's end was sent at
 * most {@link Settings#maxLagMillis} ago, and the stream is complete for the window asked about (it began before the
 * window did, {@link #since}). Otherwise, and for a user the view may have forgotten, the answer is
 * {@link GrantsView#UNKNOWN} and the caller asks Redis, as before there was a view. The staleness this adds: a grant
 * another replica flushed at t counts here from t + maxLag at the latest (t + one poll interval and a round trip,
 * typically); a replica's own grants count at once.
 */
public final class GrantsFeed implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(GrantsFeed.class);
    /** The stream field holding a batch's grants: {@code <hex key>:<ms>:<hex tag>}, comma separated. */
    static final String FIELD = "g";
    /** How long the grants stream keeps: a week's window and a day to spare for batches flushed late. */
    static final long RETENTION_MILLIS = 8 * 86_400_000L;
    private static final String START = "0-0";

    /**
     * @param pollMillis   pause between polls of a city's stream tail that found nothing more
     * @param maxLagMillis how old the last poll that reached the stream's end may be for the view to answer
     * @param page         entries read per poll
     * @param checkMillis  how often a city's stream is checked for having gone back (Redis lost writes)
     */
    public record Settings(long pollMillis, long maxLagMillis, int page, long checkMillis) {
        public static Settings defaults() {
            return new Settings(10, 100, 1_000, 1_000);
        }
    }

    /** One city's place in its stream. Written by the feed's thread only; read by request threads. */
    private static final class City {
        final String name;
        final String stream;
        volatile String lastId = START;
        /** When the stream became complete (ms); {@link Long#MAX_VALUE} until read from Redis. */
        volatile long since = Long.MAX_VALUE;
        /** {@link System#nanoTime()} when the last poll that reached the stream's end was sent. */
        volatile long currentAt;
        volatile boolean everCurrent;
        long checkedAt;
        boolean failing;

        City(String name) {
            this.name = name;
            this.stream = RedisKeys.grants(name);
        }
    }

    private final RedisLink redis;
    private final GrantsView view;
    private final Settings settings;
    private final Map<String, City> cities;
    private final ScheduledExecutorService timer;
    private final LongAdder fromView = new LongAdder();
    private final LongAdder notFromView = new LongAdder();
    private volatile boolean closed;
    /** Bumped by {@link #reset}: a read sent before it is dropped, not applied to the emptied view. */
    private volatile int generation;

    public GrantsFeed(RedisLink redis, GrantsView view, Collection<String> cities, Settings settings) {
        this.redis = redis;
        this.view = view;
        this.settings = settings;
        this.cities = cities.stream().collect(Collectors.toUnmodifiableMap(c -> c, City::new));
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "allot-grants-feed");
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts reading every city's stream in the background. */
    public GrantsFeed start() {
        cities.values().forEach(c -> timer.execute(() -> poll(c)));
        return this;
    }

    /**
     * The user's coupons since {@code fromMillis}, exact up to the staleness above, or {@link GrantsView#UNKNOWN}
     * when Redis must be asked.
     */
    public long count(String city, String user, long fromMillis) {
        City c = cities.get(city);
        long n = c == null || !current(c) || c.since > fromMillis ? GrantsView.UNKNOWN
                : view.count(GrantsView.key(city, user), fromMillis);
        (n == GrantsView.UNKNOWN ? notFromView : fromView).increment();
        return n;
    }

    /** The user's coupons since {@code fromMillis} the view holds, current or not: for when Redis cannot answer. */
    public long lowerBound(String city, String user, long fromMillis) {
        return view.lowerBound(GrantsView.key(city, user), fromMillis);
    }

    /** Records a coupon this replica granted (the stream brings it back later; it counts once). */
    public void granted(String city, String user, long millis, String decisionId) {
        view.add(GrantsView.key(city, user), millis, GrantsView.tag(decisionId));
    }

    /** Whether the view answers for {@code city} now (current and complete for a window starting now). */
    public boolean current(String city) {
        City c = cities.get(city);
        return c != null && current(c);
    }

    private boolean current(City c) {
        return c.everCurrent && System.nanoTime() - c.currentAt <= settings.maxLagMillis() * 1_000_000L;
    }

    /** The id of the newest stream entry the view has read for {@code city} ("0-0" before any). */
    public String position(String city) {
        return cities.get(city).lastId;
    }

    /** Counting questions the view answered, and those it left to Redis. */
    public long answeredFromView() {
        return fromView.sum();
    }

    public long leftToRedis() {
        return notFromView.sum();
    }

    private void poll(City c) {
        if (closed) {
            return;
        }
        long sent = System.nanoTime();
        CompletionStage<Boolean> step;
        if (c.since == Long.MAX_VALUE) {
            step = readSince(c);
        } else if (sent - c.checkedAt >= settings.checkMillis() * 1_000_000L) {
            step = checkNotBehind(c, sent);
        } else {
            step = read(c, sent);
        }
        step.whenCompleteAsync((more, error) -> {
            if (error != null && !c.failing) {
                LOG.warn("Reading the grants of {} failed; coupon counts come from Redis until it works: {}",
                        c.name, error.toString());
            }
            c.failing = error != null;
            if (closed) {
                return;
            }
            if (error == null && more) {
                timer.execute(() -> poll(c));
            } else {
                timer.schedule(() -> poll(c), settings.pollMillis(), TimeUnit.MILLISECONDS);
            }
        }, timer);
    }

    /** Reads, or sets once per Redis, since when the city's stream holds every grant. */
    private CompletionStage<Boolean> readSince(City c) {
        int sentIn = generation;
        CompletionStage<String> since = Scripts.GRANTS_SINCE.run(redis, ScriptOutputType.VALUE,
                new String[]{RedisKeys.grantsSince(c.name), RedisKeys.decisions(c.name)},
                Long.toString(System.currentTimeMillis()));
        return since.thenApplyAsync(v -> {
            if (sentIn != generation) {
                return true;
            }
            c.since = Long.parseLong(v);
            if (c.since > 0) {
                LOG.info("Grants of {} are streamed since {}: coupon counts come from Redis until a week after",
                        c.name, Instant.ofEpochMilli(c.since));
            }
            return true;
        }, timer);
    }

    /**
     * Reads the next page after the last entry read; true when there may be more. A page short of full reached the
     * stream's end as it was when the poll was sent: the view is current as of then.
     */
    private CompletionStage<Boolean> read(City c, long sent) {
        int sentIn = generation;
        CompletionStage<List<StreamMessage<String, String>>> page = redis.call(r -> r.xread(
                XReadArgs.Builder.count(settings.page()), XReadArgs.StreamOffset.from(c.stream, c.lastId)));
        return page.thenApplyAsync(messages -> {
            if (sentIn != generation) {
                return true;
            }
            for (StreamMessage<String, String> m : messages) {
                apply(m.getBody().get(FIELD));
                c.lastId = m.getId();
            }
            boolean full = messages.size() >= settings.page();
            if (!full) {
                c.currentAt = sent;
                c.everCurrent = true;
            }
            return full;
        }, timer);
    }

    /**
     * A stream whose newest entry is older than the last one read went back: Redis lost its last writes (a failover
     * to a replica behind) or all of them. New entries could then take ids below the last one read and be skipped,
     * so the city is read again from the start (adding a grant twice counts it once).
     */
    private CompletionStage<Boolean> checkNotBehind(City c, long sent) {
        c.checkedAt = sent;
        return redis.<List<StreamMessage<String, String>>>call(r -> r.xrevrange(c.stream,
                        Range.unbounded(), Limit.from(1)))
                .thenApplyAsync(newest -> {
                    String last = c.lastId;
                    if (!START.equals(last) && (newest.isEmpty() || compareIds(newest.get(0).getId(), last) < 0)) {
                        LOG.warn("The grants stream of {} went back (Redis lost writes): reading it again", c.name);
                        c.lastId = START;
                        c.everCurrent = false;
                    }
                    return true;
                }, timer);
    }

    static int compareIds(String a, String b) {
        int da = a.indexOf('-');
        int db = b.indexOf('-');
        int byMillis = Long.compareUnsigned(Long.parseUnsignedLong(a.substring(0, da)),
                Long.parseUnsignedLong(b.substring(0, db)));
        return byMillis != 0 ? byMillis : Long.compareUnsigned(Long.parseUnsignedLong(a.substring(da + 1)),
                Long.parseUnsignedLong(b.substring(db + 1)));
    }

    private void apply(String grants) {
        if (grants == null || grants.isEmpty()) {
            return;
        }
        int at = 0;
        while (at < grants.length()) {
            int colon = grants.indexOf(':', at);
            int second = grants.indexOf(':', colon + 1);
            int comma = grants.indexOf(',', at);
            int end = comma < 0 ? grants.length() : comma;
            try {
                view.add(Long.parseUnsignedLong(grants, at, colon, 16), Long.parseLong(grants, colon + 1, second, 10),
                        Integer.parseInt(grants, second + 1, end, 16));
            } catch (RuntimeException e) {
                // Not skipped: a grant left out would make the view count low. The read fails, stays where it was,
                // and the city's counts come from Redis until the entry is fixed or trimmed.
                throw new IllegalStateException("malformed grant in the grants stream: '"
                        + grants.substring(at, Math.max(at, end)) + "'", e);
            }
            at = end + 1;
        }
    }

    /** One batch's grants as the stream carries them: {@code <hex key>:<ms>:<hex tag>}, comma separated. */
    static void appendGrant(StringBuilder grants, String city, String user, long millis, String decisionId) {
        if (!grants.isEmpty()) {
            grants.append(',');
        }
        grants.append(Long.toHexString(GrantsView.key(city, user))).append(':').append(millis).append(':')
                .append(Integer.toHexString(GrantsView.tag(decisionId)));
    }

    /**
     * Forgets every grant and reads each city's stream again from its start, as a new replica would: for a Redis
     * emptied on purpose (a new environment), whose users start with no coupons.
     */
    public void reset() throws InterruptedException {
        try {
            timer.submit(() -> {
                generation++;
                view.clear();
                for (City c : cities.values()) {
                    c.lastId = START;
                    c.since = Long.MAX_VALUE;
                    c.everCurrent = false;
                }
            }).get(10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("the grants feed did not reset", e);
        }
    }

    /** Waits until every city's view has read its stream up to the entries there now, or {@code timeout} passed. */
    public boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (City c : cities.values()) {
            String target = newestId(c);
            while (target != null && compareIds(c.lastId, target) < 0 || !current(c)) {
                if (System.nanoTime() > deadline) {
                    return false;
                }
                Thread.sleep(1);
            }
        }
        return true;
    }

    private String newestId(City c) {
        try {
            List<StreamMessage<String, String>> newest = redis.<List<StreamMessage<String, String>>>call(
                    r -> r.xrevrange(c.stream, Range.unbounded(), Limit.from(1)))
                    .toCompletableFuture().get(5, TimeUnit.SECONDS);
            return newest.isEmpty() ? null : newest.get(0).getId();
        } catch (Exception e) {
            return null;
        }
    }

    @Override
    public void close() {
        closed = true;
        timer.shutdownNow();
    }
}
