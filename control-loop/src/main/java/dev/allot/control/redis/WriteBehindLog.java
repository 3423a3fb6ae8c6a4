package dev.allot.control.redis;

import dev.allot.control.CityStateStore;
import dev.allot.control.DecisionEvent;
import dev.allot.control.Increments;
import dev.allot.control.DecisionIds;
import dev.allot.control.DecisionSink;
import dev.allot.control.Utf8Fields;
import dev.allot.control.journal.Journal;

import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.IntegerOutput;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Takes a decision's Redis writes off the request path. Requests {@link #append} in memory (microseconds);
 * a timer calls {@link #flush} every few milliseconds, which seals the pending batches, appends them to the
 * replica's {@link Journal} (one forced write per flush), and sends each city-day's batch as one Lua script: the
 * increments to the day's totals, the stream entries, the decision records and the users' coupon histories, all
 * applied atomically.
 *
 * <p>Nothing is lost and nothing counted twice: a batch gets an id when it is sealed, the script applies a
 * batch only if its id marker is new, and the journal's cursor moves past a batch only after Redis confirmed it.
 * While Redis is unreachable, the backlog waits on disk rather than in the heap (bounded by the journal's size),
 * and goes out in order when Redis is back, from this process or from the next one to open the journal. Without
 * a journal (tests, tools) the backlog waits in memory, bounded by {@link Settings#maxPending()}.
 */
public final class WriteBehindLog implements DecisionSink {

    private static final Logger LOG = LoggerFactory.getLogger(WriteBehindLog.class);
    private static final int DISK_CHUNK = 200;
    /** Chunks of disk backlog one flush sends at most, so each flush tick journals what arrived since the last. */
    private static final int DISK_CHUNKS_PER_FLUSH = 5;
    /**
     * Batches sent before waiting for their replies: enough to keep a busy replica's writes up with its decisions,
     * few enough that a request's command waits behind at most a few milliseconds of scripts.
     */
    private static final int WINDOW = 4;
    /** How long an outcome waits for its decision to reach Redis, and how often it looks again. */
    private static final long PARK_MILLIS = 3_600_000;
    private static final long PARK_RETRY_NANOS = 5_000_000_000L;

    /**
     * Settings: how long markers, totals and decision records live; how long the decision stream keeps an entry
     * (entries older are trimmed as new ones arrive) and the most entries it may hold whatever their age (an entry
     * holds a batch's decisions, {@link DecisionStream}: the age is what bounds the stream); batch
     * size; and how many decisions and outcomes may wait for Redis in memory (about 4 KB of heap each) before new
     * ones are refused.
     */
    public record Settings(long markerTtlSeconds, long totalsTtlSeconds, long recordTtlSeconds,
                           long streamRetentionSeconds, long streamMaxLength, int maxBatch, int maxPending) {
        /**
         * Batches of at most 64 decisions: Redis runs a batch's script atomically, so every request's read waits
         * behind it; at 500 a batch held Redis for 5–8 ms under load, at 64 about 1 ms (docs/benchmarks.md).
         */
        public static Settings defaults() {
            return new Settings(86_400, 40 * 86_400, 8 * 86_400, 8 * 86_400, 20_000_000, 64, 50_000);
        }

        public Settings withMaxPending(int maxPending) {
            return new Settings(markerTtlSeconds, totalsTtlSeconds, recordTtlSeconds, streamRetentionSeconds,
                    streamMaxLength, maxBatch, maxPending);
        }

        /** Days the decision stream keeps (what training and replays can read back). */
        public Settings withStreamRetentionDays(int days) {
            return new Settings(markerTtlSeconds, totalsTtlSeconds, recordTtlSeconds, days * 86_400L,
                    streamMaxLength, maxBatch, maxPending);
        }
    }

    /** What one flush did. */
    public record FlushReport(int batches, int decisions, long pendingDecisions, Throwable failure) {
        public boolean succeeded() {
            return failure == null;
        }
    }

    /** An entry owed to Redis, held in memory; {@code end} is its place in the journal (null: not journaled). */
    private record Pending(Journal.Entry entry, Journal.Position end) {
    }

    private final RedisLink redis;
    private final Settings settings;
    private final Journal journal;
    private final ExecutorService journalThread;
    private final Object lock = new Object();
    private final Map<String, Journal.Batch> open = new LinkedHashMap<>();
    private final List<Journal.Entry> sealedBatches = new ArrayList<>();
    private final List<Journal.Entry> outcomes = new ArrayList<>();
    /** Journaled (or, when the journal failed, memory-only) entries not yet applied, in journal order. */
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    private final CityStore store;
    /** When not null: journaled entries up to here are not in {@link #queue} and are read back from disk. */
    private Journal.Position diskUntil;
    /**
     * Decisions and outcomes held in the heap (appended, open, sealed, queued). This and {@link #unappliedDecisions}
     * are read without {@link #lock} by the checks every decision makes ({@link #full}, {@link #whenBelow}), and a
     * decision is appended without it: on two cores a lock holder is often preempted, and every decision used to
     * wait behind it (docs/benchmarks.md).
     */
    private final AtomicLong inMemory = new AtomicLong();
    private final AtomicLong unappliedDecisions = new AtomicLong();
    /**
     * Decisions appended since the last flush took them: added without the lock, which the request's event loops
     * would otherwise take for every decision, and batched by city-day when a flush takes them.
     */
    private final ConcurrentLinkedQueue<Appended> incoming = new ConcurrentLinkedQueue<>();
    private long unappliedOutcomes;
    private boolean journalFailing;
    /** The last flush's journaling stage, which the next one's follows. */
    private CompletableFuture<?> tail = CompletableFuture.completedFuture(null);
    /** The last flush's sending stage, which the next one's follows. */
    private CompletableFuture<?> sendTail = CompletableFuture.completedFuture(null);
    private CompletableFuture<?> restoreTail = CompletableFuture.completedFuture(null);
    /** Disk chunks the running flush may still send: a long backlog goes out over several flushes. */
    private int diskChunksLeft;
    /** The journal position of the latest batch Redis confirmed, per city (this process's view). */
    private final Map<String, Journal.Position> confirmed = new java.util.concurrent.ConcurrentHashMap<>();
    /** Outcomes whose decision Redis did not know yet (another replica's backlog): tried again later. */
    private final List<Parked> parked = new ArrayList<>();
    /** Until when each parked outcome (by decision id) is tried again: an hour from when it was first parked. */
    private final Map<String, Long> parkedUntil = new java.util.concurrent.ConcurrentHashMap<>();

    private record Parked(Journal.Outcome outcome, long dueNanos) {
    }

    /** Requests waiting for the backlog to shrink ({@link #whenBelow}). Guarded by {@link #lock}. */
    private final List<Waiter> waiters = new ArrayList<>();
    /** Whether the latest send to Redis failed. Guarded by {@link #lock}. */
    private volatile boolean redisFailing;

    /** A log that keeps its backlog in memory only (tests and tools; the service journals). */
    public WriteBehindLog(RedisLink redis, Settings settings) {
        this(redis, settings, null);
    }

    /**
     * @param journal where every batch goes before Redis, read back when Redis was away or the process restarted;
     *                this log owns it from now on and closes it in {@link #close}
     */
    public WriteBehindLog(RedisLink redis, Settings settings, Journal journal) {
        this.redis = redis;
        this.store = new CityStore(redis);
        this.settings = settings;
        this.journal = journal;
        this.journalThread = journal == null ? null : Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "allot-journal");
            t.setDaemon(true);
            return t;
        });
        if (journal != null) {
            try {
                Journal.Counts owed = journal.unapplied();
                unappliedDecisions.set(owed.decisions());
                unappliedOutcomes = owed.outcomes();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the journal in " + journal.settings().dir(), e);
            }
            if (journal.cursor().compareTo(journal.end()) < 0) {
                diskUntil = journal.end();
                LOG.info("Journal {} holds {} decisions and {} outcomes not yet confirmed by Redis: sending them"
                        + " first", journal.settings().dir(), unappliedDecisions.get(), unappliedOutcomes);
            }
        }
    }

    public void appendOutcome(Journal.Outcome outcome) {
        synchronized (lock) {
            outcomes.add(outcome);
            inMemory.incrementAndGet();
            unappliedOutcomes++;
        }
    }

    public long pendingOutcomes() {
        synchronized (lock) {
            return unappliedOutcomes;
        }
    }

    @Override
    public void append(DecisionEvent event) {
        append(event, null, null);
    }

    /**
     * Appends a decision whose request id could not be claimed when it was answered (Redis unreachable): the claim,
     * {@code requestId} for {@code response}, is made with the decision's batch unless another claimed it since.
     */
    public void append(DecisionEvent event, String requestId, String response) {
        // Counted first: a flush that takes the decision before the counts move cannot take them below zero.
        inMemory.incrementAndGet();
        unappliedDecisions.incrementAndGet();
        incoming.add(new Appended(event, requestId, response));
    }

    private record Appended(DecisionEvent event, String requestId, String response) {
    }

    /** Moves what was appended into the open batches of its city-day. Holds {@link #lock}. */
    private void takeAppended() {
        Journal.Batch last = null;
        for (Appended a; (a = incoming.poll()) != null; ) {
            DecisionEvent event = a.event();
            Journal.Batch batch;
            String key = null;
            if (last != null && last.city().equals(event.city()) && last.day().equals(event.day())) {
                // Arrivals come in runs of one city-day (most replicas serve one city): no key built or hashed.
                batch = last;
            } else {
                key = event.city() + '\u0000' + event.day();
                batch = open.get(key);
            }
            if (batch != null && batch.events().size() >= settings.maxBatch()) {
                sealedBatches.add(batch);
                batch = null;
            }
            if (batch == null) {
                batch = new Journal.Batch(UUID.randomUUID().toString(), event.city(), event.day(), new Increments(),
                        new ArrayList<>(), new LinkedHashMap<>());
                open.put(key != null ? key : event.city() + '\u0000' + event.day(), batch);
            }
            last = batch;
            batch.events().add(event);
            Increments sums = (Increments) batch.totals();
            if (event.totals() instanceof Increments increments) {
                sums.addAll(increments);
            } else {
                event.totals().forEach(sums::add);
            }
            if (a.requestId() != null) {
                batch.claims().put(a.requestId(), a.response());
            }
        }
    }

    /**
     * Whether no more decisions may be taken: the heap holds as many as it may, or the journal as many bytes as it
     * may. The service then refuses new decisions (503) rather than answering ones it could not keep.
     */
    public boolean full() {
        return inMemory.get() >= settings.maxPending() || journal != null && !journal.hasRoom();
    }

    /**
     * Completes once fewer than {@code pending} decisions wait for Redis: at once when that is so already, or when
     * Redis is failing (an outage is what the buffer is for, and is not slowed down). A service that takes decisions
     * faster than Redis takes them waits here, so a busy replica answers later instead of filling its buffer and
     * refusing decisions (docs/benchmarks.md).
     */
    public CompletionStage<Void> whenBelow(long pending) {
        if (unappliedDecisions.get() < pending || redisFailing) {
            return DONE;
        }
        // Checked again under the lock, where the waiter is added: a release in between cannot be missed.
        synchronized (lock) {
            if (unappliedDecisions.get() < pending || redisFailing) {
                return DONE;
            }
            CompletableFuture<Void> wait = new CompletableFuture<>();
            waiters.add(new Waiter(pending, wait));
            return wait;
        }
    }

    private record Waiter(long pending, CompletableFuture<Void> done) {
    }

    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

    /** Releases the waiters whose bound the backlog is under now (or all, while Redis fails). */
    private void releaseWaiters() {
        List<Waiter> released;
        synchronized (lock) {
            if (waiters.isEmpty()) {
                return;
            }
            released = new ArrayList<>();
            waiters.removeIf(w -> {
                boolean go = redisFailing || unappliedDecisions.get() < w.pending();
                if (go) {
                    released.add(w);
                }
                return go;
            });
        }
        released.forEach(w -> w.done().complete(null));
    }

    /** Decisions not yet confirmed by Redis, in memory or in the journal. */
    public long pendingDecisions() {
        return unappliedDecisions.get();
    }

    /**
     * Sends everything appended before this call: journals it, then sends it. Flushes run in the order asked, in
     * two stages that overlap: a flush's journaling (encoding and a forced write) runs while the one before it
     * still waits on Redis, so neither the disk nor Redis waits for the other (a flush that did both in turn held
     * a busy replica's decisions, docs/benchmarks.md). Sends stay in journal order, one flush's after the other's,
     * and the returned report covers what this flush was asked to send.
     */
    public CompletionStage<FlushReport> flush() {
        synchronized (lock) {
            CompletionStage<Void> journaled = serially(this::journalNow);
            CompletableFuture<FlushReport> run = sendTail.handle((r, e) -> null)
                    .thenCombine(journaled.handle((r, e) -> null), (a, b) -> null)
                    .thenCompose(v -> sendNow())
                    .toCompletableFuture();
            sendTail = run;
            return run.whenCompleteAsync((report, e) -> persistCursor(),
                    journalThread == null ? Runnable::run : journalThread);
        }
    }

    /**
     * Redis lost a city's data (it came back empty): every batch and outcome of the city that this replica's journal
     * retains and Redis had confirmed is sent again, which restores this replica's share of the city's totals,
     * stream and histories. Each applies once: the batch markers went with the data, and come back with it. What
     * Redis has not confirmed yet goes out with the next flushes as usual. Returns the decisions sent again.
     */
    public CompletionStage<Long> restoreAfterDataLoss(String city) {
        return resend(city, null, "Redis lost the data of {}: sent again the {} decisions of it this replica's journal"
                + " retains");
    }

    /**
     * Redis kept the city's epoch but not this replica's last writes (a crash with {@code appendfsync everysec}, a
     * failover to a replica that lagged): its high-water mark for this replica, {@code inRedis}, is behind what
     * this replica saw confirmed before it read the mark ({@code seen}, from {@link #confirmed}). Sends again what
     * lies between; returns the decisions Redis applied again, or empty when nothing is missing.
     */
    public Optional<CompletionStage<Long>> resendIfBehind(String city, String inRedis, Journal.Position seen) {
        if (journal == null || seen == null) {
            return Optional.empty();
        }
        // No mark at all: Redis lost everything (the epoch check restores it) or never had one from this journal.
        if (inRedis == null) {
            return Optional.empty();
        }
        Journal.Position mark = Journal.Position.parse(inRedis);
        if (mark.compareTo(seen) >= 0) {
            return Optional.empty();
        }
        return Optional.of(resend(city, mark, "Redis lost the last writes of {} (its high-water mark for this replica"
                + " fell behind): sent again the {} decisions of it since"));
    }

    /** The journal position of the latest batch of the city Redis confirmed to this process (null: none yet). */
    public Journal.Position confirmed(String city) {
        return confirmed.get(city);
    }

    /** The high-water mark's field for this replica: its journal's id (null without a journal). */
    public String replicaKey() {
        return journal == null ? null : journal.id();
    }

    private CompletionStage<Long> resend(String city, Journal.Position after, String message) {
        if (journal == null) {
            return CompletableFuture.completedFuture(0L);
        }
        // Not in the flush chain: a restore of a large journal takes minutes, and new decisions must keep reaching
        // the journal and Redis meanwhile. One restore at a time, in the order asked.
        synchronized (lock) {
            CompletableFuture<Long> next = restoreTail.handle((r, e) -> null)
                    .thenCompose(v -> restore(city, after, message)).toCompletableFuture();
            restoreTail = next;
            return next;
        }
    }

    private CompletionStage<Long> restore(String city, Journal.Position after, String message) {
        CompletableFuture<Long> done = new CompletableFuture<>();
        // On the journal thread: start() takes the journal's monitor, which a forced write may hold.
        onJournalThread(() -> {
            Journal.Position until = journal.cursor();
            Journal.Position start = journal.start();
            Journal.Position from = after == null || after.compareTo(start) < 0 ? start : after;
            replayRetained(city, from, until, 0, done);
        }, done);
        return done.whenComplete((sent, error) -> {
            if (error == null) {
                if (sent > 0 || after == null) {
                    LOG.warn(message, city, sent);
                }
            }
        });
    }

    /**
     * Forgets what Redis has confirmed, so a later {@link #restoreAfterDataLoss} does not bring it back: for a Redis
     * emptied on purpose (a new environment, a test). Runs after the flushes already asked for.
     */
    public CompletionStage<Void> forgetApplied() {
        if (journal == null) {
            return CompletableFuture.completedFuture(null);
        }
        synchronized (lock) {
            // After the sends of the flushes already asked for, so what they send is forgotten too.
            CompletableFuture<Void> forgotten = sendTail.handle((r, e) -> null)
                    .thenCompose(v -> CompletableFuture.runAsync(journal::forgetApplied, journalThread));
            sendTail = forgotten;
            return forgotten;
        }
    }

    /** Runs {@code task} on the journal thread; a journal already closed (shutdown) fails {@code done}. */
    private void onJournalThread(Runnable task, CompletableFuture<?> done) {
        try {
            journalThread.execute(task);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            done.completeExceptionally(e);
        }
    }

    private void replayRetained(String city, Journal.Position from, Journal.Position until, long sent,
                                CompletableFuture<Long> done) {
        if (journalThread.isShutdown()) {
            done.completeExceptionally(new IllegalStateException("journal closed"));
            return;
        }
        CompletableFuture.supplyAsync(() -> {
            try {
                return journal.read(from, DISK_CHUNK).stream().filter(s -> s.end().compareTo(until) <= 0).toList();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, journalThread).whenComplete((chunk, failure) -> {
            if (failure != null) {
                done.completeExceptionally(failure);
            } else if (chunk.isEmpty()) {
                done.complete(sent);
            } else {
                List<Journal.Stored> ofCity = chunk.stream().filter(s -> city.equals(cityOf(s.entry()))).toList();
                Journal.Position next = chunk.get(chunk.size() - 1).end();
                sendAll(ofCity, 0, 0).whenComplete((applied, error) -> {
                    if (error != null) {
                        done.completeExceptionally(error);
                    } else {
                        replayRetained(city, next, until, sent + applied, done);
                    }
                });
            }
        });
    }

    /**
     * Sends stored entries again, in order, outcomes counted long ago included (a restore); returns the decisions
     * Redis applied (a batch it already had is a no-op and not counted).
     */
    private CompletionStage<Long> sendAll(List<Journal.Stored> entries, int index, long applied) {
        if (index == entries.size()) {
            return CompletableFuture.completedFuture(applied);
        }
        Journal.Stored s = entries.get(index);
        return send(s.entry(), s.end(), true).thenCompose(result -> sendAll(entries, index + 1,
                applied + (Long.valueOf(1L).equals(result) ? s.entry().decisions() : 0)));
    }

    private static String cityOf(Journal.Entry e) {
        return e instanceof Journal.Batch b ? b.city() : ((Journal.Outcome) e).city();
    }

    private <T> CompletionStage<T> serially(java.util.function.Supplier<CompletionStage<T>> step) {
        synchronized (lock) {
            // On the journal thread: taking what was appended batches it, work that is not the caller's (a flush
            // is asked from an event loop).
            CompletableFuture<T> next = (journalThread == null
                    ? tail.handle((r, e) -> null).thenCompose(v -> step.get())
                    : tail.handle((r, e) -> null).thenComposeAsync(v -> step.get(), journalThread)).toCompletableFuture();
            tail = next;
            return next;
        }
    }

    /** A flush's first stage: seals what was appended, journals it, and queues it for sending. */
    private CompletionStage<Void> journalNow() {
        List<Journal.Entry> entries;
        synchronized (lock) {
            long now = System.nanoTime();
            parked.removeIf(p -> {
                if (now - p.dueNanos() < 0) {
                    return false;
                }
                outcomes.add(p.outcome());
                inMemory.incrementAndGet();
                unappliedOutcomes++;
                return true;
            });
            takeAppended();
            sealedBatches.addAll(open.values());
            open.clear();
            entries = new ArrayList<>(sealedBatches.size() + outcomes.size());
            // Decisions before outcomes, which may refer to them.
            entries.addAll(sealedBatches);
            entries.addAll(outcomes);
            sealedBatches.clear();
            outcomes.clear();
        }
        return journaled(entries).handle((ends, failure) -> {
            synchronized (lock) {
                enqueue(entries, ends);
            }
            return null;
        });
    }

    /** A flush's second stage: sends the queue, in order, until it is empty or Redis fails. */
    private CompletionStage<FlushReport> sendNow() {
        synchronized (lock) {
            diskChunksLeft = DISK_CHUNKS_PER_FLUSH;
        }
        CompletableFuture<FlushReport> run = new CompletableFuture<>();
        sendNext(0, 0, run);
        return run;
    }

    private CompletionStage<List<Journal.Position>> journaled(List<Journal.Entry> entries) {
        if (journal == null || entries.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        return CompletableFuture.supplyAsync(() -> {
            try {
                List<Journal.Position> ends = journal.append(entries);
                if (journalFailing) {
                    journalFailing = false;
                    LOG.info("Journal {} writable again", journal.settings().dir());
                }
                return ends;
            } catch (IOException e) {
                if (!journalFailing) {
                    journalFailing = true;
                    LOG.error("Cannot write the journal {} ({}): pending writes wait in memory only until it works"
                            + " again", journal.settings().dir(), e.toString());
                }
                return null;
            }
        }, journalThread);
    }

    /** Holds the flushed entries for sending: in memory, or only on disk while a disk backlog is being sent. */
    private void enqueue(List<Journal.Entry> entries, List<Journal.Position> ends) {
        for (int i = 0; i < entries.size(); i++) {
            Journal.Entry e = entries.get(i);
            Journal.Position end = ends == null ? null : ends.get(i);
            if (end != null && diskUntil != null) {
                diskUntil = end;
                inMemory.addAndGet(-weight(e));
            } else {
                queue.add(new Pending(e, end));
            }
        }
    }

    private void sendNext(int batches, int decisions, CompletableFuture<FlushReport> run) {
        List<Pending> window = new ArrayList<>(WINDOW);
        synchronized (lock) {
            if (diskUntil != null) {
                if (journal.cursor().compareTo(diskUntil) >= 0) {
                    diskUntil = null;
                } else if (diskChunksLeft-- > 0) {
                    sendFromDisk(batches, decisions, run);
                    return;
                } else {
                    // The rest of the backlog goes with the next flushes, after they journal what is new.
                    finish(run, new FlushReport(batches, decisions, unappliedDecisions.get(), null));
                    return;
                }
            }
            // Consecutive batches go out together, without waiting for each reply: one round trip per window, not
            // per batch, which kept a busy replica's writes from keeping up with its decisions (docs/benchmarks.md).
            // Redis runs them in order on the one connection; an outcome (a read, then a write) goes alone.
            for (Pending p : queue) {
                boolean batch = p.entry() instanceof Journal.Batch;
                if (!window.isEmpty() && !batch || window.size() == WINDOW) {
                    break;
                }
                window.add(p);
                if (!batch) {
                    break;
                }
            }
            if (window.isEmpty()) {
                finish(run, new FlushReport(batches, decisions, unappliedDecisions.get(), null));
                return;
            }
        }
        List<CompletableFuture<?>> sent = new ArrayList<>(window.size());
        for (Pending p : window) {
            sent.add(send(p.entry(), p.end(), false).toCompletableFuture());
        }
        CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).whenComplete((all, any) -> {
            int b = batches;
            int d = decisions;
            // In order, up to the first failure: what follows it is sent again with the next flush (a batch Redis
            // applied already is a no-op then, by its marker), so the journal's cursor never passes a gap.
            for (int i = 0; i < window.size(); i++) {
                Pending p = window.get(i);
                Throwable failure = failure(sent.get(i));
                if (failure != null) {
                    failed(run, b, d, failure);
                    return;
                }
                synchronized (lock) {
                    queue.poll();
                    inMemory.addAndGet(-weight(p.entry()));
                    applied(p.entry(), p.end());
                }
                b += p.entry() instanceof Journal.Batch ? 1 : 0;
                d += p.entry().decisions();
            }
            synchronized (lock) {
                redisFailing = false;
            }
            releaseWaiters();
            sendNext(b, d, run);
        });
    }

    private static Throwable failure(CompletableFuture<?> done) {
        try {
            done.join();
            return null;
        } catch (java.util.concurrent.CompletionException | java.util.concurrent.CancellationException e) {
            return e.getCause() != null ? e.getCause() : e;
        }
    }

    /** The backlog that waited on disk: read a chunk on the journal thread, send it in order, commit as it goes. */
    private void sendFromDisk(int batches, int decisions, CompletableFuture<FlushReport> run) {
        CompletableFuture.supplyAsync(() -> {
            try {
                return journal.read(journal.cursor(), DISK_CHUNK);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, journalThread).whenComplete((chunk, failure) -> {
            if (failure != null) {
                LOG.error("Cannot read the journal {}: {}", journal.settings().dir(), failure.toString());
                failed(run, batches, decisions, failure);
                return;
            }
            if (chunk.isEmpty()) {
                synchronized (lock) {
                    // Nothing readable before the mark (a corrupt stretch was skipped): carry on from memory.
                    diskUntil = null;
                }
                sendNext(batches, decisions, run);
                return;
            }
            sendStored(chunk, 0, batches, decisions, run);
        });
    }

    private void sendStored(List<Journal.Stored> chunk, int index, int batches, int decisions,
                            CompletableFuture<FlushReport> run) {
        if (index == chunk.size()) {
            sendNext(batches, decisions, run);
            return;
        }
        Journal.Stored stored = chunk.get(index);
        send(stored.entry(), stored.end(), false).whenComplete((ok, failure) -> {
            if (failure != null) {
                failed(run, batches, decisions, failure);
                return;
            }
            synchronized (lock) {
                applied(stored.entry(), stored.end());
                redisFailing = false;
            }
            releaseWaiters();
            sendStored(chunk, index + 1, batches + (stored.entry() instanceof Journal.Batch ? 1 : 0),
                    decisions + stored.entry().decisions(), run);
        });
    }

    private void applied(Journal.Entry entry, Journal.Position end) {
        if (entry instanceof Journal.Outcome) {
            unappliedOutcomes--;
        } else {
            unappliedDecisions.addAndGet(-entry.decisions());
        }
        if (end != null) {
            confirmed.merge(cityOf(entry), end, (a, b) -> a.compareTo(b) >= 0 ? a : b);
        }
        if (end != null) {
            journal.commit(end);
        }
    }

    private void failed(CompletableFuture<FlushReport> run, int batches, int decisions, Throwable failure) {
        synchronized (lock) {
            redisFailing = true;
            LOG.warn("Redis write-behind failed, {} decisions and {} outcomes kept for retry{}: {}",
                    unappliedDecisions.get(), unappliedOutcomes, journal == null ? "" : " in the journal",
                    failure.toString());
            // The backlog waits on disk, not in the heap: what is journaled leaves memory.
            dropJournaledFromMemory();
            finish(run, new FlushReport(batches, decisions, unappliedDecisions.get(), failure));
        }
        releaseWaiters();
    }

    private void dropJournaledFromMemory() {
        if (journal == null) {
            return;
        }
        var kept = new ArrayDeque<Pending>();
        for (Pending p : queue) {
            if (p.end() == null) {
                kept.add(p);
            } else {
                inMemory.addAndGet(-weight(p.entry()));
                if (diskUntil == null || p.end().compareTo(diskUntil) > 0) {
                    diskUntil = p.end();
                }
            }
        }
        queue.clear();
        queue.addAll(kept);
    }

    private static int weight(Journal.Entry e) {
        return e instanceof Journal.Outcome ? 1 : e.decisions();
    }

    private static void finish(CompletableFuture<FlushReport> run, FlushReport report) {
        run.complete(report);
    }

    private void persistCursor() {
        if (journal == null) {
            return;
        }
        try {
            journal.persistCursor();
        } catch (IOException e) {
            LOG.warn("Cannot write the journal cursor in {}: {}", journal.settings().dir(), e.toString());
        }
    }

    /**
     * A last flush, waiting at most {@code wait} for Redis, then the journal is closed. Returns what is still owed to
     * Redis: in the journal, sent at the next start with this directory (or lost, without a journal).
     */
    public FlushReport close(Duration wait) {
        FlushReport report;
        try {
            report = flush().toCompletableFuture().get(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            report = new FlushReport(0, 0, pendingDecisions(), e);
        }
        if (journal != null) {
            // Journal writes are ordered on its thread: closing there follows the last flush's append and cursor.
            // Whatever a flush that did not finish in time left in memory is journaled first.
            try {
                CompletableFuture.runAsync(() -> {
                    try {
                        journalRemainder();
                        journal.close();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }, journalThread).get(wait.toMillis() + 1_000, TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                LOG.warn("Closing the journal {}: {}", journal.settings().dir(), e.toString());
            }
            journalThread.shutdown();
        }
        return new FlushReport(report.batches(), report.decisions(), pendingDecisions(), report.failure());
    }

    /**
     * On the journal thread, at close: writes what only memory holds (batches still open or sealed, outcomes,
     * parked outcomes, entries whose journaling failed) so the next start sends it. A repeat of something a late
     * flush still sends counts once (batch ids, one outcome per decision).
     */
    private void journalRemainder() {
        List<Journal.Entry> rest = new ArrayList<>();
        synchronized (lock) {
            takeAppended();
            rest.addAll(sealedBatches);
            rest.addAll(open.values());
            for (Pending p : queue) {
                if (p.end() == null) {
                    rest.add(p.entry());
                }
            }
            rest.addAll(outcomes);
            parked.forEach(p -> rest.add(p.outcome()));
        }
        if (rest.isEmpty()) {
            return;
        }
        try {
            journal.append(rest);
            LOG.info("Journaled {} entries still in memory at close", rest.size());
        } catch (IOException e) {
            LOG.error("Cannot journal {} entries still in memory at close ({}): they are lost", rest.size(),
                    e.toString());
        }
    }

    public Journal journal() {
        return journal;
    }

    /**
     * Sends an entry. An outcome journaled after Redis counted it (the request path recorded it directly) is only
     * sent when {@code restoring} a Redis that lost it.
     */
    private CompletionStage<?> send(Journal.Entry entry, Journal.Position end, boolean restoring) {
        if (entry instanceof Journal.Batch b) {
            return sendBatch(b, end);
        }
        Journal.Outcome outcome = (Journal.Outcome) entry;
        CompletionStage<?> sent = outcome.counted() && !restoring ? CompletableFuture.completedFuture(null)
                : sendOutcome(outcome, restoring);
        // The high-water mark follows outcomes too, so a Redis that loses an outcome shows it.
        return journal == null || end == null ? sent : sent.thenCompose(result -> Scripts.MARK.run(redis,
                ScriptOutputType.INTEGER, new String[]{RedisKeys.highWater(outcome.city())}, journal.id(), end.text())
                .thenApply(ok -> result));
    }

    /**
     * Outcomes go after the decisions they refer to, which earlier batches have written. A decision Redis does not
     * know may still be in another replica's backlog (or restore): the outcome is tried again every few seconds for
     * an hour from the first miss.
     */
    private CompletionStage<CityStateStore.OutcomeResult> sendOutcome(Journal.Outcome outcome, boolean restoring) {
        return store.decisionRecord(outcome.city(), outcome.decisionId())
                .thenCompose(record -> record.isEmpty()
                        ? CompletableFuture.completedFuture(CityStateStore.OutcomeResult.UNKNOWN_DECISION)
                        : store.recordOutcome(outcome.city(), outcome.decisionId(), record.get("day"),
                        outcome.converted(), Double.isNaN(outcome.revenue())
                                ? Double.parseDouble(record.getOrDefault("price", "0")) : outcome.revenue(),
                        Double.parseDouble(record.getOrDefault("coupon", "0")), outcome.timestampMillis()))
                .thenApply(result -> {
                    if (result != CityStateStore.OutcomeResult.UNKNOWN_DECISION) {
                        parkedUntil.remove(outcome.decisionId());
                        return result;
                    }
                    long now = System.currentTimeMillis();
                    long deadline = parkedUntil.computeIfAbsent(outcome.decisionId(), id -> now + PARK_MILLIS);
                    if (now < deadline) {
                        // Sent as a queued outcome when tried again, whatever it was journaled as.
                        Journal.Outcome again = new Journal.Outcome(outcome.city(), outcome.decisionId(),
                                outcome.converted(), outcome.revenue(), outcome.timestampMillis(), false);
                        synchronized (lock) {
                            parked.add(new Parked(again, System.nanoTime() + PARK_RETRY_NANOS));
                        }
                    } else {
                        parkedUntil.remove(outcome.decisionId());
                        LOG.warn("Dropping queued outcome for unknown decision {} in {}", outcome.decisionId(),
                                outcome.city());
                    }
                    return result;
                });
    }

    /** {@code end}: the batch's place in the journal, its replica's new high-water mark (null: not journaled). */
    private CompletionStage<Long> sendBatch(Journal.Batch batch, Journal.Position end) {
        List<String> keys = new ArrayList<>(6 + 2 * batch.events().size() + batch.claims().size());
        keys.add(RedisKeys.flushMarker(batch.city(), batch.id()));
        keys.add(RedisKeys.totals(batch.city(), batch.day()));
        keys.add(RedisKeys.decisions(batch.city()));
        keys.add(RedisKeys.highWater(batch.city()));
        keys.add(RedisKeys.grants(batch.city()));
        keys.add(RedisKeys.grantsSince(batch.city()));
        StringBuilder grants = new StringBuilder();
        List<Object> args = new ArrayList<>(15 + 2 * batch.totals().size() + 7 * batch.events().size()
                + batch.claims().size());
        args.add(Long.toString(settings.markerTtlSeconds()));
        args.add(Long.toString(settings.totalsTtlSeconds()));
        args.add(Long.toString(settings.recordTtlSeconds()));
        // Stream ids are arrival milliseconds: the oldest id kept is the retention's start.
        args.add(Long.toString(System.currentTimeMillis() - settings.streamRetentionSeconds() * 1_000));
        args.add(Long.toString(settings.streamMaxLength()));
        args.add(journal == null ? "" : journal.id());
        args.add(journal == null || end == null ? "" : end.text());
        args.add(Integer.toString(batch.totals().size()));
        batch.totals().forEach((field, delta) -> {
            args.add(field);
            args.add(Double.toString(delta));
        });
        args.add(Integer.toString(batch.events().size()));
        List<byte[]> records = new ArrayList<>(batch.events().size());
        long lastSecond = Long.MIN_VALUE;
        String lastSecondKey = null;
        for (DecisionEvent e : batch.events()) {
            // The outcome index goes to the hash of its second; under its own key for an id without a time, or
            // (a random id from before version 7 that only looks like one) with a time a day from the decision's.
            String second = null;
            long millis = DecisionIds.millis(e.decisionId());
            if (millis >= 0 && Math.abs(millis - e.timestampMillis()) < 86_400_000L) {
                // The decisions of a batch share a second or two: one key string for each.
                long at = Math.floorDiv(millis, 1000);
                if (at != lastSecond) {
                    lastSecond = at;
                    lastSecondKey = RedisKeys.decisionSecond(e.city(), e.decisionId());
                }
                second = lastSecondKey;
            }
            keys.add(second != null ? second : RedisKeys.decision(e.city(), e.decisionId()));
            // The script reads the user's coupon history only for a grant; otherwise a key of the city stands in
            // (the same slot, nothing built or sent per decision).
            keys.add(e.couponGiven() ? RedisKeys.couponHistory(e.city(), e.userId()) : keys.get(4));
            byte[] record = DecisionStream.record(e);
            if (record != null) {
                // In the batch's one entry (DecisionStream): no stream fields of its own.
                records.add(record);
                args.add("0");
            } else if (e.streamFields() instanceof Utf8Fields encoded) {
                Map<String, byte[]> utf8 = encoded.utf8();
                args.add(Integer.toString(utf8.size()));
                utf8.forEach((k, v) -> {
                    args.add(k);
                    args.add(v);
                });
            } else {
                addPairs(args, e.streamFields());
            }
            args.add(second != null ? "s" : "k");
            args.add(OutcomeIndex.encode(e.record()));
            args.add(e.couponGiven() ? "1" : "0");
            // The time is the grant's score in the history; no grant, no time.
            args.add(e.couponGiven() ? Long.toString(e.timestampMillis()) : "0");
            args.add(e.decisionId());
            if (e.couponGiven()) {
                GrantsFeed.appendGrant(grants, e.city(), e.userId(), e.timestampMillis(), e.decisionId());
            }
        }
        args.add(Long.toString(CityStore.REQUEST_TTL_SECONDS));
        batch.claims().forEach((requestId, response) -> {
            keys.add(RedisKeys.request(batch.city(), requestId));
            args.add(response);
        });
        byte[] joined = DecisionStream.join(records);
        args.add(joined == null ? "" : joined);
        long now = System.currentTimeMillis();
        args.add(Long.toString(now));
        args.add(Long.toString(now - GrantsFeed.RETENTION_MILLIS));
        args.add(grants.toString());
        return Scripts.FLUSH.run(redis, () -> new IntegerOutput<>(StringCodec.UTF8), keys, args);
    }

    private static void addPairs(List<Object> args, Map<String, String> pairs) {
        args.add(Integer.toString(pairs.size()));
        pairs.forEach((k, v) -> {
            args.add(k);
            args.add(v);
        });
    }
}
