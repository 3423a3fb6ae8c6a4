package dev.allot.control;

import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Decision ids: {@code <city>.<UUID version 7>} (RFC 9562), whose first 48 bits are the decision's time in
 * milliseconds. An outcome names only its decision's id, and the time in it tells where the decision's outcome
 * index is: in the city's bucket for that second, not a key of its own (one key a second instead of one a
 * decision keeps Redis's key space, and the rehashing of its table as it grows, small).
 */
public final class DecisionIds {

    private DecisionIds() {
    }

    /** A new id for a decision of {@code city} taken at {@code epochMillis}. */
    public static String next(String city, long epochMillis) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long high = (epochMillis << 16) | 0x7000L | (random.nextLong() & 0x0FFFL);
        long low = (random.nextLong() & 0x3FFF_FFFF_FFFF_FFFFL) | 0x8000_0000_0000_0000L;
        return city + "." + new UUID(high, low);
    }

    /**
     * The time (ms) a version-7 id carries, or -1 for an id of another shape (ids given before version 7, and
     * anything a client makes up). An id that only looks like version 7 (a random one has a chance in sixteen)
     * gives a time too, which is why readers that find nothing where it points look where older ids were kept.
     */
    public static long millis(String decisionId) {
        int dot = decisionId.lastIndexOf('.');
        int start = dot + 1;
        if (decisionId.length() - start != 36 || decisionId.charAt(start + 8) != '-'
                || decisionId.charAt(start + 13) != '-' || decisionId.charAt(start + 14) != '7') {
            return -1;
        }
        long millis = 0;
        for (int i = 0; i < 13; i++) {
            if (i == 8) {
                continue;
            }
            int digit = Character.digit(decisionId.charAt(start + i), 16);
            if (digit < 0) {
                return -1;
            }
            millis = (millis << 4) | digit;
        }
        return millis;
    }
}
