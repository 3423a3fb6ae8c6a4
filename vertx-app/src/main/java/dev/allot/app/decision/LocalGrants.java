package dev.allot.app.decision;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The coupons this replica granted each recent user, kept in memory: what stands in for the user's coupon history
 * while Redis cannot be asked, so a weekly cap still binds on this replica's own grants rather than failing open.
 * A lower bound (other replicas' grants are not here), kept for the most recent users only.
 */
final class LocalGrants {

    /** Grants remembered per user: more than any cap a rule sets. */
    private static final int PER_USER = 16;

    private final Map<String, long[]> byUser;

    LocalGrants(int users) {
        this.byUser = new LinkedHashMap<>(1024, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, long[]> eldest) {
                return size() > users;
            }
        };
    }

    /** Records a coupon granted to the user at {@code millis}. */
    synchronized void granted(String city, String user, long millis) {
        long[] times = byUser.computeIfAbsent(city + '\u0000' + user, k -> new long[PER_USER]);
        int oldest = 0;
        for (int i = 1; i < times.length; i++) {
            if (times[i] < times[oldest]) {
                oldest = i;
            }
        }
        times[oldest] = millis;
    }

    /** Coupons granted to the user here since {@code fromMillis}. */
    synchronized int since(String city, String user, long fromMillis) {
        long[] times = byUser.get(city + '\u0000' + user);
        if (times == null) {
            return 0;
        }
        int n = 0;
        for (long t : times) {
            if (t != 0 && t >= fromMillis) {
                n++;
            }
        }
        return n;
    }
}
