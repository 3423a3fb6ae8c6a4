package dev.allot.control;

import dev.allot.scoring.StableHash;

import java.util.Arrays;

/**
 * Users' recent coupon grants, in memory: what answers "how many coupons did this user get since t" without asking
 * Redis. Fed with every grant the fleet wrote (a grants stream, {@code dev.allot.control.redis.GrantsFeed}) and with
 * this replica's own at once, it knows when its answer is exact and says so: {@link #count} gives {@link #UNKNOWN}
 * for a user whose grants it may have forgotten, and the caller asks Redis instead.
 *
 * <p>A fixed table of primitive arrays, 4-way set-associative by a 64-bit hash of city and user: allocated once, so
 * a grant allocates nothing (a map of strings to arrays made every new user's entry an object graph that outlived
 * the young generation, docs/benchmarks.md). Forgetting is tracked, not hidden: a full set forgets the user whose
 * latest grant is oldest and remembers that grant's time, so a later question about any user of that set whose
 * window reaches back to it is {@link #UNKNOWN}; a user with more grants than {@link #PER_USER} keeps the newest and
 * remembers the newest time dropped, the same way. Two users sharing a 64-bit hash would share counts (odds about
 * two in a billion that any pair in a full table does).
 */
public final class GrantsView {

    /** The view cannot tell: it may have forgotten grants in the window asked about. */
    public static final long UNKNOWN = -1;
    /** Grants kept per user: a weekly cap is rarely above this; a user past it is answered by Redis. */
    static final int PER_USER = 4;
    private static final int WAYS = 4;
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
    /** User hash per way; 0 is an empty way (a user hashing to 0 is stored as 1). */
    private final long[] users;
    /** {@link #PER_USER} grants per way ({@link #stamp}), {@link #NONE} where empty. */
    private final long[] times;
    /** Per way: the newest grant ({@link #stamp}) this user had and the view dropped. */
    private final long[] dropped;
    /** Per set: the newest grant ({@link #stamp}) of a user the set forgot. */
    private final long[] evicted;

    /** A view with room for at least {@code users} users (rounded up to a power of two of sets). */
    public GrantsView(int users) {
        int sets = Integer.highestOneBit(Math.max(1, (users + WAYS - 1) / WAYS) * 2 - 1);
        this.setMask = sets - 1;
        this.users = new long[sets * WAYS];
        this.times = new long[sets * WAYS * PER_USER];
        this.dropped = new long[sets * WAYS];
        this.evicted = new long[sets];
        Arrays.fill(times, NONE);
        Arrays.fill(dropped, NONE);
        Arrays.fill(evicted, NONE);
    }

    /** Forgets every grant. */
    public synchronized void clear() {
        Arrays.fill(users, 0);
        Arrays.fill(times, NONE);
        Arrays.fill(dropped, NONE);
        Arrays.fill(evicted, NONE);
    }

    /** Users the view holds at most. */
    public int capacity() {
        return users.length;
    }

    /** Bytes the view's tables take. */
    public long bytes() {
        return 8L * (users.length + times.length + dropped.length + evicted.length);
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
    public synchronized void add(long key, long millis, int tag) {
        long stamp = stamp(millis, tag);
        int first = (int) (key & setMask) * WAYS;
        int way = -1;
        int victim = first;
        long victimLatest = Long.MAX_VALUE;
        for (int w = first; w < first + WAYS; w++) {
            if (users[w] == key) {
                way = w;
                break;
            }
            long latest = users[w] == 0 ? NONE : latest(w);
            if (latest < victimLatest) {
                victim = w;
                victimLatest = latest;
            }
        }
        if (way < 0) {
            if (users[victim] != 0) {
                int set = first / WAYS;
                evicted[set] = Math.max(evicted[set], victimLatest);
            }
            way = victim;
            users[way] = key;
            Arrays.fill(times, way * PER_USER, (way + 1) * PER_USER, NONE);
            dropped[way] = NONE;
        }
        int oldest = way * PER_USER;
        for (int i = way * PER_USER; i < (way + 1) * PER_USER; i++) {
            if (times[i] == stamp) {
                return;
            }
            if (times[i] < times[oldest]) {
                oldest = i;
            }
        }
        if (times[oldest] == NONE) {
            times[oldest] = stamp;
        } else if (stamp < times[oldest]) {
            // Older than every grant kept (the stream brought it after newer ones): it is the one dropped.
            dropped[way] = Math.max(dropped[way], stamp);
        } else {
            dropped[way] = Math.max(dropped[way], times[oldest]);
            times[oldest] = stamp;
        }
    }

    /**
     * The user's grants at or after {@code fromMillis}, exactly as far as the view was fed, or {@link #UNKNOWN} when
     * it forgot a grant that may be in that window.
     */
    public synchronized long count(long key, long fromMillis) {
        long from = from(fromMillis);
        int first = (int) (key & setMask) * WAYS;
        for (int w = first; w < first + WAYS; w++) {
            if (users[w] == key) {
                return dropped[w] >= from ? UNKNOWN : held(w, from);
            }
        }
        return evicted[first / WAYS] >= from ? UNKNOWN : 0;
    }

    /** The user's grants at or after {@code fromMillis} that the view holds: a lower bound, never unknown. */
    public synchronized long lowerBound(long key, long fromMillis) {
        int first = (int) (key & setMask) * WAYS;
        for (int w = first; w < first + WAYS; w++) {
            if (users[w] == key) {
                return held(w, from(fromMillis));
            }
        }
        return 0;
    }

    private int held(int way, long from) {
        int n = 0;
        for (int i = way * PER_USER; i < (way + 1) * PER_USER; i++) {
            if (times[i] != NONE && times[i] >= from) {
                n++;
            }
        }
        return n;
    }

    private long latest(int way) {
        long latest = NONE;
        for (int i = way * PER_USER; i < (way + 1) * PER_USER; i++) {
            latest = Math.max(latest, times[i]);
        }
        return latest;
    }
}
