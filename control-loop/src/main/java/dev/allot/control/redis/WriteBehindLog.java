package dev.allot.control.redis;

import dev.allot.control.CityStateStore;
import dev.allot.control.DecisionEvent;
import dev.allot.control.DecisionSink;

import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Takes a decision's Redis writes off the request path. Requests {@link #append} in memory (microseconds);
 * a timer calls {@link #flush} every few milliseconds, which sends each city-day's pending decisions as one
 * Lua script: the increments to the day's totals, the stream entries, the decision records and the users'
 * coupon histories, all applied atomically.
 *
 * <p>Nothing is lost and nothing counted twice: a batch gets an id when it is sealed, the script applies a
 * batch only if its id marker is new, and a batch leaves memory only after Redis confirmed it. While Redis is
 * unreachable, batches wait here (see {@link #pendingDecisions}) and go out in order when it is back.
 */
public final class WriteBehindLog implements DecisionSink {

    private static final Logger LOG = LoggerFactory.getLogger(WriteBehindLog.class);

    /**
     * Settings: how long markers, totals and decision records live; stream length; batch size; and how many
     * decisions and outcomes may wait for Redis in memory (about 4 KB of heap each) before new ones are refused.
     */
    public record Settings(long markerTtlSeconds, long totalsTtlSeconds, long recordTtlSeconds, long streamMaxLength,
                           int maxBatch, int maxPending) {
        public static Settings defaults() {
            return new Settings(86_400, 40 * 86_400, 8 * 86_400, 5_000_000, 500, 50_000);
        }

        public Settings withMaxPending(int maxPending) {
            return new Settings(markerTtlSeconds, totalsTtlSeconds, recordTtlSeconds, streamMaxLength, maxBatch,
                    maxPending);
        }
    }

    /** What one flush did. */
    public record FlushReport(int batches, int decisions, int pendingDecisions, Throwable failure) {
        public boolean succeeded() {
            return failure == null;
        }
    }

    /**
     * An outcome that could not be recorded at once (Redis unreachable); applied on a later flush.
     * A NaN revenue means the decision's offered price.
     */
    public record OutcomeEvent(String city, String decisionId, boolean converted, double revenue,
                               long timestampMillis) {
    }

    private record Batch(String id, String city, String day, Map<String, Double> totals, List<DecisionEvent> events) {
    }

    private final RedisAsyncCommands<String, String> redis;
    private final Settings settings;
    private final Object lock = new Object();
    private final Map<String, Batch> open = new LinkedHashMap<>();
    private final ArrayDeque<Batch> sealed = new ArrayDeque<>();
    private final ArrayDeque<OutcomeEvent> outcomes = new ArrayDeque<>();
    private final CityStore store;
    private int pending;
    private CompletableFuture<FlushReport> inFlight;

    public WriteBehindLog(StatefulRedisConnection<String, String> connection, Settings settings) {
        this.redis = connection.async();
        this.store = new CityStore(connection);
        this.settings = settings;
    }

    public void appendOutcome(OutcomeEvent outcome) {
        synchronized (lock) {
            outcomes.add(outcome);
        }
    }

    public int pendingOutcomes() {
        synchronized (lock) {
            return outcomes.size();
        }
    }

    @Override
    public void append(DecisionEvent event) {
        synchronized (lock) {
            String key = event.city() + '\u0000' + event.day();
            Batch current = open.get(key);
            if (current != null && current.events().size() >= settings.maxBatch()) {
                sealed.add(current);
                current = null;
            }
            if (current == null) {
                current = new Batch(UUID.randomUUID().toString(), event.city(), event.day(), new HashMap<>(),
                        new ArrayList<>());
                open.put(key, current);
            }
            Batch batch = current;
            batch.events().add(event);
            event.totals().forEach((field, delta) -> batch.totals().merge(field, delta, Double::sum));
            pending++;
        }
    }

    /**
     * Whether the buffer holds as many decisions and outcomes as it may: the service then refuses new ones (503)
     * rather than answering decisions it could not keep, or growing until the heap runs out.
     */
    public boolean full() {
        synchronized (lock) {
            return pending + outcomes.size() >= settings.maxPending();
        }
    }

    /** Decisions not yet confirmed by Redis. */
    public int pendingDecisions() {
        synchronized (lock) {
            return pending;
        }
    }

    /**
     * Sends everything appended before this call. Flushes never overlap: a call made during a flush runs after
     * it, so its report covers what it was asked to cover.
     */
    public CompletionStage<FlushReport> flush() {
        synchronized (lock) {
            if (inFlight != null) {
                return inFlight.thenCompose(previous -> flush());
            }
            sealed.addAll(open.values());
            open.clear();
            CompletableFuture<FlushReport> run = new CompletableFuture<>();
            inFlight = run;
            sendNext(0, 0, run);
            return run;
        }
    }

    private void sendNext(int batches, int decisions, CompletableFuture<FlushReport> run) {
        Batch batch;
        synchronized (lock) {
            batch = sealed.peek();
            if (batch == null) {
                sendOutcomes(batches, decisions, run);
                return;
            }
        }
        send(batch).whenComplete((applied, failure) -> {
            if (failure != null) {
                LOG.warn("Redis write-behind failed, {} decisions kept for retry: {}", pendingDecisions(),
                        failure.toString());
                synchronized (lock) {
                    finish(run, new FlushReport(batches, decisions, pending, failure));
                }
                return;
            }
            synchronized (lock) {
                sealed.poll();
                pending -= batch.events().size();
            }
            sendNext(batches + 1, decisions + batch.events().size(), run);
        });
    }

    /** Outcomes go after the decisions they refer to, which the batches above have just written. */
    private void sendOutcomes(int batches, int decisions, CompletableFuture<FlushReport> run) {
        OutcomeEvent outcome;
        synchronized (lock) {
            outcome = outcomes.peek();
            if (outcome == null) {
                finish(run, new FlushReport(batches, decisions, pending, null));
                return;
            }
        }
        store.decisionRecord(outcome.city(), outcome.decisionId())
                .thenCompose(record -> record.isEmpty()
                        ? CompletableFuture.completedFuture(CityStateStore.OutcomeResult.UNKNOWN_DECISION)
                        : store.recordOutcome(outcome.city(), outcome.decisionId(), record.get("day"),
                        outcome.converted(), Double.isNaN(outcome.revenue())
                                ? Double.parseDouble(record.getOrDefault("price", "0")) : outcome.revenue(),
                        Double.parseDouble(record.getOrDefault("coupon", "0")), outcome.timestampMillis()))
                .whenComplete((result, failure) -> {
                    if (failure != null) {
                        synchronized (lock) {
                            finish(run, new FlushReport(batches, decisions, pending, failure));
                        }
                        return;
                    }
                    if (result == CityStateStore.OutcomeResult.UNKNOWN_DECISION) {
                        LOG.warn("Dropping queued outcome for unknown decision {} in {}", outcome.decisionId(),
                                outcome.city());
                    }
                    synchronized (lock) {
                        outcomes.poll();
                    }
                    sendOutcomes(batches, decisions, run);
                });
    }

    private void finish(CompletableFuture<FlushReport> run, FlushReport report) {
        synchronized (lock) {
            inFlight = null;
        }
        run.complete(report);
    }

    private CompletionStage<Long> send(Batch batch) {
        List<String> keys = new ArrayList<>();
        keys.add(RedisKeys.flushMarker(batch.city(), batch.id()));
        keys.add(RedisKeys.totals(batch.city(), batch.day()));
        keys.add(RedisKeys.decisions(batch.city()));
        List<String> args = new ArrayList<>();
        args.add(Long.toString(settings.markerTtlSeconds()));
        args.add(Long.toString(settings.totalsTtlSeconds()));
        args.add(Long.toString(settings.recordTtlSeconds()));
        args.add(Long.toString(settings.streamMaxLength()));
        args.add(Integer.toString(batch.totals().size()));
        batch.totals().forEach((field, delta) -> {
            args.add(field);
            args.add(Double.toString(delta));
        });
        for (DecisionEvent e : batch.events()) {
            keys.add(RedisKeys.decision(e.city(), e.decisionId()));
            keys.add(RedisKeys.couponHistory(e.city(), e.userId()));
            addPairs(args, e.streamFields());
            addPairs(args, e.record());
            args.add(e.couponGiven() ? "1" : "0");
            args.add(Long.toString(e.timestampMillis()));
            args.add(e.decisionId());
        }
        return redis.eval(Scripts.FLUSH, ScriptOutputType.INTEGER, keys.toArray(String[]::new),
                args.toArray(String[]::new));
    }

    private static void addPairs(List<String> args, Map<String, String> pairs) {
        args.add(Integer.toString(pairs.size()));
        pairs.forEach((k, v) -> {
            args.add(k);
            args.add(v);
        });
    }
}
