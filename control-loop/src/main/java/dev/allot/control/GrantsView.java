package dev.allot.control;

import dev.allot.scoring.StableHash;

import java.util.Arrays;

/**
 * Users' recent coupon grants, in memory: what answers "how many coupons did this user get since t" without asking
 * Redis. Fed with every grant the fleet wrote (a grants stream, {@code dev.allot.control.redis.GrantsFeed}) and with
 * this replica's own at once, it knows when its answer is exact and says so: {@link #count} gives {@link #UNKNOWN}
 * when it may have forgotten a grant in the window asked about, and the caller asks Redis instead.
 *
 * <p>A fixed table of primitive arrays, one entry (16 bytes) per grant, 8-way set-associative by a 64-bit hash of
 * city and user, so a user's grants share a set: allocated once, a grant allocates nothing (a map of strings to
 * arrays made every new user's entry an object graph that outlived the young generation, docs/benchmarks.md). One
 * entry per grant, not per user, because most users hold one: three times the users of a per-user row in the same
 * memory. Forgetting is tracked, not hidden: a full set forgets its oldest grant and remembers its time and, in a
 * 64-bit filter, its user, so a later question about that user (or, one time in a few dozen, another user of the
 * set whose bits it shares) whose window reaches back to it is {@link #UNKNOWN}; the set's other users are still
 * answered. The memory of what was forgotten is kept per window-long span of time, two spans a set, so it empties as
 * the window moves on instead of filling up. Old grants go first, and forgetting one older than every window asked
 * about costs nothing. Two users sharing a 64-bit hash would share counts (odds about two in a billion that any
 * pair in a full table does).
 */
public final class GrantsView {

    /** The view cannot tell: it may have forgotten grants in the window asked about. */
    public static final long UNKNOWN = -1;
    /** Grants per set: a user's grants share one, so this many is the most one user can be counted to. */
    static final int WAYS = 8;
    private static final long NONE = Long.MIN_VALUE;
    private static final long HASH_SEED = 0x6772616e7473L;
    /**
     * A grant is held as its millisecond shifted left by these bits and a tag of its decision in the bits freed:
     * two grants to one user in the same millisecond (on two replicas, or under a test's fixed clock) stay two,
     * and the same grant seen twice stays one. 42 bits of milliseconds last until 2109.
     */
    private static final int TAG_BITS = 21;
    private static final long TAG_MASK = (1L << TAG_BITS) - 1;

    private final int setMask;
    /** The user (hash) of each entry; 0 where empty (a user hashing to 0 is stored as 1). */
    private final long[] users;
    /** The grant of each entry ({@link #stamp}), {@link #NONE} where empty. */
    private final long[] grants;
    /** The longest window a question may ask about; what was forgotten is kept per span this long. */
    private final long windowMillis;
    /**
     * Per set, two spans of what it forgot, by the parity of the span ({@code millis / windowMillis}): the span
     * ({@link #NO_SPAN} for none), the newest grant forgotten in it, and a filter of the users forgotten in it.
     */
    private final long[] lostSpan;
    private final long[] lostNewest;
    private final long[] lostUsers;
    private static final long NO_SPAN = -1;
    /**
     * Locks by set: everything a grant or a question touches is in its user's set, so sets are guarded apart. Both
     * event loops and the feed's thread use the view for every decision; with one lock they waited on each other,
     * up to a scheduler's quantum when the holder was preempted (docs/benchmarks.md).
     */
    private static final int STRIPES = 256;
    private final Object[] locks;

    /**
     * A view with room for at least {@code grants} grants (rounded up to a power of two of sets), for questions
     * about windows of at most {@code windowMillis}.
     */
    public GrantsView(int grants, long windowMillis) {
        int sets = Integer.highestOneBit(Math.max(1, (grants + WAYS - 1) / WAYS) * 2 - 1);
        this.setMask = sets - 1;
        this.windowMillis = windowMillis;
        this.users = new long[sets * WAYS];
        this.grants = new long[sets * WAYS];
        this.lostSpan = new long[sets * 2];
        this.lostNewest = new long[sets * 2];
        this.lostUsers = new long[sets * 2];
        this.locks = new Object[Math.min(STRIPES, sets)];
        Arrays.setAll(locks, i -> new Object());
        clear();
    }

    private Object lockOf(int set) {
        return locks[set & (locks.length - 1)];
    }

    /** Forgets every grant. */
    public void clear() {
        clear(0);
    }

    private void clear(int stripe) {
        if (stripe == locks.length) {
            Arrays.fill(users, 0);
            Arrays.fill(grants, NONE);
            Arrays.fill(lostSpan, NO_SPAN);
            Arrays.fill(lostNewest, NONE);
            Arrays.fill(lostUsers, 0);
            return;
        }
        synchronized (locks[stripe]) {
            clear(stripe + 1);
        }
    }

    /** Grants the view holds at most. */
    public int capacity() {
        return users.length;
    }

    /** The key a user of a city is held under (also what the grants stream carries). */
    public static long key(String city, String user) {
        long h = StableHash.of(HASH_SEED, city, user);
        return h == 0 ? 1 : h;
    }

    /** A decision's tag: what tells apart two grants to one user in one millisecond. */
    public static int tag(String decisionId) {
        return (int) (decisionId.hashCode() & TAG_MASK);
    }

    private static long stamp(long millis, int tag) {
        return Math.max(0, millis) << TAG_BITS | (tag & TAG_MASK);
    }

    /** The smallest stamp at or after {@code millis}. */
    private static long from(long millis) {
        return Math.max(0, millis) << TAG_BITS;
    }

    /**
     * Records a grant made at {@code millis} by the decision tagged {@code tag} ({@link #tag}). Idempotent: the
     * same grant recorded twice, once when granted here and again when the stream brings it back, counts once.
     */
    public void add(long key, long millis, int tag) {
        int set = (int) (key & setMask);
        synchronized (lockOf(set)) {
            add(set, key, stamp(millis, tag));
        }
    }

    private void add(int set, long key, long stamp) {
        int first = set * WAYS;
        int oldest = first;
        for (int w = first; w < first + WAYS; w++) {
            if (grants[w] == stamp && users[w] == key) {
                return;
            }
            if (grants[w] < grants[oldest]) {
                oldest = w;
            }
        }
        if (grants[oldest] != NONE) {
            if (stamp < grants[oldest]) {
                // Older than every grant the set holds (the stream brought it after newer ones): it is the one dropped.
                forget(set, key, stamp);
                return;
            }
            forget(set, users[oldest], grants[oldest]);
        }
        users[oldest] = key;
        grants[oldest] = stamp;
    }

    private void forget(int set, long user, long stamp) {
        long span = (stamp >>> TAG_BITS) / windowMillis;
        int g = set * 2 + (int) (span & 1);
        if (lostSpan[g] < span) {
            // The span two before: every grant in it is older than any window that starts after the span before
            // this one, which count() checks; it goes.
            lostSpan[g] = span;
            lostNewest[g] = NONE;
            lostUsers[g] = 0;
        }
        // A grant from a span older than the one held here (brought late) joins it: kept, never dropped.
        lostNewest[g] = Math.max(lostNewest[g], stamp);
        lostUsers[g] |= bits(user);
    }

    /** The user's two bits in a set's filter: from hash bits the set's index does not use. */
    private static long bits(long user) {
        return 1L << ((user >>> 40) & 63) | 1L << ((user >>> 46) & 63);
    }

    /** Whether the set may have forgotten a grant of the user at or after {@code from}. */
    private boolean mayHaveForgotten(int set, long user, long from) {
        long newestSpan = Math.max(lostSpan[set * 2], lostSpan[set * 2 + 1]);
        if (newestSpan != NO_SPAN && (from >>> TAG_BITS) < (newestSpan - 1) * windowMillis) {
            // A window reaching back past the spans kept: what was forgotten there is no longer known.
            return true;
        }
        long b = bits(user);
        for (int g = set * 2; g < set * 2 + 2; g++) {
            if (lostSpan[g] != NO_SPAN && lostNewest[g] >= from && (lostUsers[g] & b) == b) {
                return true;
            }
        }
        return false;
    }

    /**
     * The user's grants at or after {@code fromMillis}, exactly as far as the view was fed, or {@link #UNKNOWN} when
     * it forgot a grant that may be in that window.
     */
    public long count(long key, long fromMillis) {
        long from = from(fromMillis);
        int set = (int) (key & setMask);
        synchronized (lockOf(set)) {
            return mayHaveForgotten(set, key, from) ? UNKNOWN : held(set * WAYS, key, from);
        }
    }

    /** The user's grants at or after {@code fromMillis} that the view holds: a lower bound, never unknown. */
    public long lowerBound(long key, long fromMillis) {
        int set = (int) (key & setMask);
        synchronized (lockOf(set)) {
            return held(set * WAYS, key, from(fromMillis));
        }
    }

    private int held(int first, long key, long from) {
        int n = 0;
        for (int w = first; w < first + WAYS; w++) {
            if (users[w] == key && grants[w] >= from) {
                n++;
            }
        }
        return n;
    }
}
