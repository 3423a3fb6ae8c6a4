package dev.allot.app.decision;

import java.util.Locale;

/** Which policy an arrival gets; sticky per user so that a user's experience and the A/B stay consistent. */
public enum Group {
    /** The lambda-argmax. */
    OPTIMIZED,
    /** A uniformly random allowed level: unbiased training data and policy evaluation. */
    EXPLORATION,
    /** The city's default level: the baseline the policy's lift is measured against. */
    HOLDOUT;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Sticky assignment by a hash of city and user: {@code [0, holdout)} holdout, then exploration, then
     * optimized. The hash is FNV-1a with a 64-bit finaliser, stable across JVMs and releases.
     */
    public static Group of(String city, String userId, double explorationShare, double holdoutShare) {
        double u = unitHash(city, userId);
        if (u < holdoutShare) {
            return HOLDOUT;
        }
        return u < holdoutShare + explorationShare ? EXPLORATION : OPTIMIZED;
    }

    static double unitHash(String city, String userId) {
        long h = 0xcbf29ce484222325L;
        h = mix(h, city);
        h = (h ^ 0x1f) * 0x100000001b3L;
        h = mix(h, userId);
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return (h >>> 11) * 0x1.0p-53;
    }

    private static long mix(long h, String s) {
        for (int i = 0; i < s.length(); i++) {
            h = (h ^ s.charAt(i)) * 0x100000001b3L;
        }
        return h;
    }
}
