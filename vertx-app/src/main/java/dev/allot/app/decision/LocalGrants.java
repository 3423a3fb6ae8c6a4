package dev.allot.app.decision;

import dev.allot.scoring.StableHash;

import java.time.Instant;
import java.util.Arrays;

/**
 * The coupons this replica granted each recent user, kept in memory: what stands in for the user's coupon history
 * while Redis cannot be asked, so a weekly cap still binds on this replica's own grants rather than failing open.
 * A lower bound (other replicas' grants are not here), kept for the most recent users only.
 *
 * <p>A fixed table of primitive arrays, 4-way set-associative by a 64-bit hash of the user: allocated once, so a
 * grant allocates nothing. A map of strings to arrays made every new user's entry an object graph that outlived
 * the young generation and then died in the old one (the heap after a young collection halved without it,
 * docs/benchmarks.md). A set that is full forgets the user whose latest grant is oldest; a user forgotten, or a
 * grant counted to the second below it, only lowers the count, which stays a lower bound. Two users sharing a
 * 64-bit hash would share counts (odds about two in a billion that any pair in a full table does).
 */
final class LocalGrants {

    /** Grants remembered per user: more than any cap a rule sets. */
    private static final int PER_USER = 16;
    private static final int WAYS = 4;
    /** Grant times are seconds since this instant, plus one (zero is "none"); an int lasts until 2088. */
    private static final long BASE_SECONDS = Instant.parse("2020-01-01T00:00:00Z").getEpochSecond();
    private static final long HASH_SEED = 0x6772616e7473L;

    private final int setMask;
    /** User hash per way; 0 is an empty way (a user hashing to 0 is stored as 1). */
    private final long[] users;
    /** {@link #PER_USER} grant times per way. */
    private final int[] times;

    LocalGrants(int users) {
        int sets = Integer.highestOneBit(Math.max(1, (users + WAYS - 1) / WAYS) * 2 - 1);
        this.setMask = sets - 1;
        this.users = new long[sets * WAYS];
        this.times = new int[sets * WAYS * PER_USER];
    }

    /** Records a coupon granted to the user at {@code millis}. */
    synchronized void granted(String city, String user, long millis) {
        long key = key(city, user);
        int first = (int) (key & setMask) * WAYS;
        int way = -1;
        int victim = first;
        int victimLatest = Integer.MAX_VALUE;
        for (int w = first; w < first + WAYS; w++) {
            if (users[w] == key) {
                way = w;
                break;
            }
            int latest = users[w] == 0 ? Integer.MIN_VALUE : latest(w);
            if (latest < victimLatest) {
                victim = w;
                victimLatest = latest;
            }
        }
        if (way < 0) {
            way = victim;
            users[way] = key;
            Arrays.fill(times, way * PER_USER, (way + 1) * PER_USER, 0);
        }
        int oldest = way * PER_USER;
        for (int i = oldest + 1; i < (way + 1) * PER_USER; i++) {
            if (times[i] < times[oldest]) {
                oldest = i;
            }
        }
        times[oldest] = stamp(millis);
    }

    /** Coupons granted to the user here since {@code fromMillis}. */
    synchronized int since(String city, String user, long fromMillis) {
        long key = key(city, user);
        int first = (int) (key & setMask) * WAYS;
        for (int w = first; w < first + WAYS; w++) {
            if (users[w] == key) {
                // Rounded up, as grant times are rounded down: a grant in the window's first second may go
                // uncounted, none before the window is counted.
                int from = stamp(-Math.floorDiv(-fromMillis, 1000) * 1000);
                int n = 0;
                for (int i = w * PER_USER; i < (w + 1) * PER_USER; i++) {
                    if (times[i] >= from) {
                        n++;
                    }
                }
                return n;
            }
        }
        return 0;
    }

    private int latest(int way) {
        int latest = 0;
        for (int i = way * PER_USER; i < (way + 1) * PER_USER; i++) {
            if (times[i] > latest) {
                latest = times[i];
            }
        }
        return latest;
    }

    private static long key(String city, String user) {
        long h = StableHash.of(HASH_SEED, city, user);
        return h == 0 ? 1 : h;
    }

    private static int stamp(long millis) {
        return (int) Math.max(1, Math.floorDiv(millis, 1000) - BASE_SECONDS + 1);
    }
}
