package dev.allot.control.redis;

import dev.allot.control.CityStateStore;
import dev.allot.control.CityTotals;
import dev.allot.control.PidGains;
import dev.allot.control.PidState;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A {@link CityStateStore} in Redis, through one Lettuce connection. Every call is asynchronous: callers on
 * event loops compose the returned stages and never wait on them.
 */
public final class CityStore implements CityStateStore {

    /** How long a request id stays claimed: a client retries within seconds, a day covers any backlog. */
    static final long REQUEST_TTL_SECONDS = 86_400;

    private final RedisLink link;

    public CityStore(RedisLink link) {
        this.link = link;
    }

    public CityStore(StatefulRedisConnection<String, String> connection) {
        this(RedisLink.of(connection));
    }

    @Override
    public CompletionStage<Preparation> prepare(String city, String requestId, String userId, long sinceMillis) {
        // Plain commands, not a script: the two reads need no atomicity (a claim settles races on the request id),
        // and a script costs Redis several times a ZCOUNT. Sent together, they share a write and a reply.
        CompletionStage<Long> coupons = link.call(r -> r.zcount(RedisKeys.couponHistory(city, userId),
                Range.from(Range.Boundary.including(sinceMillis), Range.Boundary.unbounded())));
        if (requestId == null) {
            return coupons.thenApply(n -> new Preparation(Optional.empty(), n));
        }
        CompletionStage<String> stored = link.call(r -> r.get(RedisKeys.request(city, requestId)));
        return stored.thenCombine(coupons, (response, n) -> new Preparation(Optional.ofNullable(response), n));
    }

    /** The response that claimed {@code requestId}, if any. */
    public CompletionStage<Optional<String>> storedResponse(String city, String requestId) {
        return link.<String>call(r -> r.get(RedisKeys.request(city, requestId))).thenApply(Optional::ofNullable);
    }

    @Override
    public CompletionStage<Optional<String>> claim(String city, String requestId, String response) {
        CompletionStage<String> reply = Scripts.CLAIM.run(link, ScriptOutputType.VALUE,
                new String[]{RedisKeys.request(city, requestId)}, response, Long.toString(REQUEST_TTL_SECONDS));
        return reply.thenApply(Optional::ofNullable);
    }

    @Override
    public CompletionStage<CityTotals> totals(String city, String day) {
        return link.call(r -> r.hgetall(RedisKeys.totals(city, day))).thenApply(CityStore::toTotals);
    }

    @Override
    public CompletionStage<Optional<Double>> lambda(String city) {
        return link.call(r -> r.get(RedisKeys.lambda(city))).thenApply(v -> Optional.ofNullable(v).map(Double::parseDouble));
    }

    @Override
    public CompletionStage<String> setLambda(String city, double lambda) {
        return link.call(r -> r.set(RedisKeys.lambda(city), Double.toString(lambda)));
    }

    @Override
    public CompletionStage<Optional<Double>> lambda0(String city, String day) {
        return link.call(r -> r.get(RedisKeys.lambda0(city, day))).thenApply(v -> Optional.ofNullable(v).map(Double::parseDouble));
    }

    /** Stores the offline lambda for a day; kept a week, long enough to plan days ahead. */
    @Override
    public CompletionStage<String> setLambda0(String city, String day, double lambda) {
        return link.call(r -> r.setex(RedisKeys.lambda0(city, day), 7 * 86_400, Double.toString(lambda)));
    }

    @Override
    public CompletionStage<Map<String, String>> pidFields(String city) {
        return link.call(r -> r.hgetall(RedisKeys.pid(city)));
    }

    @Override
    public CompletionStage<Map<String, String>> decisionRecord(String city, String decisionId) {
        String second = RedisKeys.decisionSecond(city, decisionId);
        if (second == null) {
            return ownKey(city, decisionId);
        }
        // Not in its second: an id from before version 7 that looks like one, indexed under its own key.
        return link.call(r -> r.hget(second, decisionId)).thenCompose(value -> value != null
                ? CompletableFuture.completedFuture(OutcomeIndex.decode(value)) : ownKey(city, decisionId));
    }

    private CompletionStage<Map<String, String>> ownKey(String city, String decisionId) {
        String key = RedisKeys.decision(city, decisionId);
        // A WRONGTYPE error: indexed as a hash, before the index became one value; such keys live out their 8 days.
        return RedisLink.orElseOn(link.call(r -> r.get(key)).thenApply(value -> value == null
                        ? Map.<String, String>of() : OutcomeIndex.decode(value)),
                e -> e instanceof RedisCommandExecutionException && String.valueOf(e.getMessage()).startsWith("WRONGTYPE"),
                () -> link.call(r -> r.hgetall(key)));
    }

    /**
     * The decisions of a stretch of the decision stream ({@link DecisionStream#decisions}), oldest first, whether more
     * were left out, and the id of the newest entry read (null when none was): where a later read forward carries
     * on.
     */
    public record StreamSlice(List<Map<String, String>> entries, boolean truncated, String newestId) {
    }

    /**
     * Decisions a page of the stream holds at most: entries are read in pages of about this many decisions (no
     * single reply holds Redis or the heap for long), sized by the decisions an entry of the page before held.
     */
    private static final int PAGE = 2_000;
    /** Decisions an entry is taken to hold until a page tells: a busy replica's batch. */
    private static final int FIRST_GUESS = 64;

    /**
     * The decision stream read backwards from its newest entry, a page at a time, until {@code stop} says a decision
     * is older than wanted or {@code max} were read; returned oldest first, without the stopping decision.
     */
    public CompletionStage<StreamSlice> decisionsBackward(String city, int max,
                                                          java.util.function.Predicate<Map<String, String>> stop) {
        return pageBack(city, "+", max, stop, new ArrayList<>(), null, FIRST_GUESS);
    }

    /**
     * As {@link #decisionsBackward(String, int, java.util.function.Predicate)}, from the entries written at or
     * before {@code upToMillis} (Redis's clock, which stamps the stream's ids): a past day is read without reading
     * through everything written since.
     */
    public CompletionStage<StreamSlice> decisionsBackward(String city, long upToMillis, int max,
                                                          java.util.function.Predicate<Map<String, String>> stop) {
        return pageBack(city, Long.toString(upToMillis), max, stop, new ArrayList<>(), null, FIRST_GUESS);
    }

    private CompletionStage<StreamSlice> pageBack(String city, String upper, int max,
                                                  java.util.function.Predicate<Map<String, String>> stop,
                                                  List<Map<String, String>> newestFirst, String newestId,
                                                  int perEntry) {
        int remaining = max - newestFirst.size();
        // One decision more than wanted, to tell whether the slice is truncated.
        int want = Math.max(1, (remaining >= PAGE ? PAGE : remaining + 1) / perEntry);
        return link.call(r -> r.xrevrange(RedisKeys.decisions(city), Range.create("-", upper), Limit.from(want)))
                .thenCompose(messages -> {
                    String newest = newestId == null && !messages.isEmpty() ? messages.get(0).getId() : newestId;
                    int read = 0;
                    for (var m : messages) {
                        List<Map<String, String>> decisions = DecisionStream.decisions(m.getBody());
                        read += decisions.size();
                        for (int i = decisions.size() - 1; i >= 0; i--) {
                            if (stop.test(decisions.get(i))) {
                                return done(newestFirst, false, newest);
                            }
                            if (newestFirst.size() == max) {
                                return done(newestFirst, true, newest);
                            }
                            newestFirst.add(decisions.get(i));
                        }
                    }
                    if (messages.size() < want) {
                        return done(newestFirst, false, newest);
                    }
                    // The next page ends just before the last id read: "(" makes the bound exclusive.
                    return pageBack(city, "(" + messages.get(messages.size() - 1).getId(), max, stop, newestFirst,
                            newest, Math.max(1, read / messages.size()));
                });
    }

    private static CompletionStage<StreamSlice> done(List<Map<String, String>> newestFirst, boolean truncated,
                                                     String newestId) {
        List<Map<String, String>> oldestFirst = new ArrayList<>(newestFirst);
        java.util.Collections.reverse(oldestFirst);
        return java.util.concurrent.CompletableFuture.completedFuture(
                new StreamSlice(oldestFirst, truncated, newestId));
    }

    /**
     * The decisions of the stream's entries after the id {@code afterId} (exclusive), oldest first: what a reader
     * that has seen the stream up to {@code afterId} has not. Whole entries, until {@code max} decisions or more
     * were read (an entry holds at most a batch); {@code truncated} when more remain.
     */
    public CompletionStage<StreamSlice> decisionsAfter(String city, String afterId, int max) {
        return pageForward(city, afterId, max, new ArrayList<>(), FIRST_GUESS);
    }

    private CompletionStage<StreamSlice> pageForward(String city, String afterId, int max,
                                                     List<Map<String, String>> out, int perEntry) {
        int remaining = max - out.size();
        int want = Math.max(1, (remaining >= PAGE ? PAGE : remaining + 1) / perEntry);
        return link.call(r -> r.xrange(RedisKeys.decisions(city), Range.create("(" + afterId, "+"),
                        Limit.from(want)))
                .thenCompose(messages -> {
                    int n = 0;
                    int read = 0;
                    while (n < messages.size() && out.size() < max) {
                        List<Map<String, String>> decisions = DecisionStream.decisions(messages.get(n).getBody());
                        out.addAll(decisions);
                        read += decisions.size();
                        n++;
                    }
                    String last = n == 0 ? afterId : messages.get(n - 1).getId();
                    if (out.size() >= max || messages.size() < want) {
                        // Full: truncated when an entry is left, in this page or after it (a full page may have more).
                        boolean truncated = n < messages.size() || messages.size() == want && out.size() >= max;
                        return CompletableFuture.completedFuture(new StreamSlice(out, truncated, last));
                    }
                    return pageForward(city, last, max, out, Math.max(1, read / n));
                });
    }

    /** The newest {@code count} decisions of the city's stream, oldest first (what a dry-run replays). */
    public CompletionStage<List<Map<String, String>>> recentDecisions(String city, int count) {
        return decisionsBackward(city, count, entry -> false).thenApply(StreamSlice::entries);
    }

    @Override
    public CompletionStage<OutcomeResult> recordOutcome(String city, String decisionId, String day, boolean converted,
                                                        double revenue, double coupon, long timestampMillis) {
        CompletionStage<Long> reply = Scripts.OUTCOME.run(link, ScriptOutputType.INTEGER,
                new String[]{Objects.requireNonNullElse(RedisKeys.decisionSecond(city, decisionId),
                        RedisKeys.decision(city, decisionId)), RedisKeys.totals(city, day), RedisKeys.outcomes(city),
                        RedisKeys.decision(city, decisionId)},
                converted ? "1" : "0", Double.toString(revenue), Double.toString(converted ? coupon : 0),
                Long.toString(timestampMillis), decisionId);
        return reply.thenApply(r -> switch (r.intValue()) {
            case 1 -> OutcomeResult.COUNTED;
            case 0 -> OutcomeResult.DUPLICATE;
            default -> OutcomeResult.UNKNOWN_DECISION;
        });
    }

    @Override
    public CompletionStage<Boolean> lock(String city, String owner, long ttlMillis) {
        CompletionStage<Long> reply = Scripts.LOCK.run(link, ScriptOutputType.INTEGER,
                new String[]{RedisKeys.pidLock(city)}, owner, Long.toString(ttlMillis));
        return reply.thenApply(r -> r == 1L);
    }

    @Override
    public CompletionStage<Boolean> unlock(String city, String owner) {
        CompletionStage<Long> reply = Scripts.UNLOCK.run(link, ScriptOutputType.INTEGER,
                new String[]{RedisKeys.pidLock(city)}, owner);
        return reply.thenApply(r -> r == 1L);
    }

    @Override
    public CompletionStage<Boolean> writePid(String city, String owner, String day, PidState state, PidGains gains,
                                             long nowMillis) {
        List<String> args = new ArrayList<>(List.of(owner, Double.toString(state.lambda())));
        state.fields(day, nowMillis, gains).forEach((field, value) -> {
            args.add(field);
            args.add(value);
        });
        CompletionStage<Long> reply = Scripts.PID_WRITE.run(link, ScriptOutputType.INTEGER,
                new String[]{RedisKeys.pidLock(city), RedisKeys.pid(city), RedisKeys.lambda(city)},
                args.toArray(String[]::new));
        return reply.thenApply(r -> r == 1L);
    }

    @Override
    public CompletionStage<Long> setPidFields(String city, Map<String, String> fields) {
        return link.call(r -> r.hset(RedisKeys.pid(city), fields));
    }

    /** The city's epoch (see {@link RedisKeys#epoch}); empty when Redis holds none. */
    public CompletionStage<Optional<String>> epoch(String city) {
        return link.call(r -> r.get(RedisKeys.epoch(city))).thenApply(Optional::ofNullable);
    }

    /** The high-water mark of one replica (its journal id) for the city: the position of its last applied batch. */
    public CompletionStage<Optional<String>> highWater(String city, String replica) {
        return link.call(r -> r.hget(RedisKeys.highWater(city), replica)).thenApply(Optional::ofNullable);
    }

    /** A provisional epoch set less than this long ago may be replaced by a replica that knows the city's state. */
    public static final long PROVISIONAL_MILLIS = 600_000;

    /** A provisional epoch (set by a replica that knew nothing), as {@code p:<ms>:<random>}. */
    public static String provisionalEpoch(long nowMillis) {
        return "p:" + nowMillis + ":" + java.util.UUID.randomUUID();
    }

    /** Whether {@code epoch} is provisional and young enough to be replaced by a write-back. */
    public static boolean replaceable(String epoch, long nowMillis) {
        if (epoch == null || !epoch.startsWith("p:")) {
            return false;
        }
        int end = epoch.indexOf(':', 2);
        try {
            return nowMillis - Long.parseLong(epoch.substring(2, end)) <= PROVISIONAL_MILLIS;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** What {@link #recreateEpoch} found. */
    public enum EpochResult {
        /** Another replica set the epoch first. */
        PRESENT,
        /** The controller state existed without an epoch (data from before epochs): kept. */
        ADOPTED,
        /** Nothing of the city existed: a new deployment. */
        FRESH,
        /** The state this replica holds was written back with the new epoch. */
        WRITTEN_BACK
    }

    /**
     * Sets the city's epoch. A replica that never saw one ({@code pidFields} null) sets a missing epoch only; one
     * that saw an epoch that is now gone (or replaced by a provisional one) writes {@code pidFields} and
     * {@code lambda} back with it (see {@link Scripts#RECREATE_EPOCH}).
     */
    public CompletionStage<EpochResult> recreateEpoch(String city, String epoch, Map<String, String> pidFields,
                                                      Double lambda, long nowMillis) {
        List<String> args = new ArrayList<>(List.of(epoch, lambda == null ? "" : Double.toString(lambda),
                pidFields == null ? "0" : "1", Long.toString(nowMillis)));
        if (pidFields != null) {
            pidFields.forEach((field, value) -> {
                args.add(field);
                args.add(value);
            });
        }
        CompletionStage<Long> reply = Scripts.RECREATE_EPOCH.run(link, ScriptOutputType.INTEGER,
                new String[]{RedisKeys.epoch(city), RedisKeys.pid(city), RedisKeys.lambda(city)},
                args.toArray(String[]::new));
        return reply.thenApply(r -> switch (r.intValue()) {
            case 1 -> EpochResult.WRITTEN_BACK;
            case 2 -> EpochResult.ADOPTED;
            case 3 -> EpochResult.FRESH;
            default -> EpochResult.PRESENT;
        });
    }

    static CityTotals toTotals(Map<String, String> hash) {
        Map<String, Double> fields = new HashMap<>();
        hash.forEach((k, v) -> fields.put(k, Double.parseDouble(v)));
        return new CityTotals(fields);
    }

    public RedisLink link() {
        return link;
    }
}
