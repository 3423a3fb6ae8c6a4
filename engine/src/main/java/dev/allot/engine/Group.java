package dev.allot.engine;

import dev.allot.scoring.StableHash;

import java.util.Locale;

/** Which policy an arrival gets; sticky per user so that a user's experience and the A/B stay consistent. */
public enum Group {
    /** The lambda-argmax. */
    OPTIMIZED,
    /** A uniformly random allowed level: unbiased training data and policy evaluation. */
    EXPLORATION,
    /** The city's default level: the baseline the policy's lift is measured against. */
    HOLDOUT,
    /** A level planned ahead of time (simulated strategies only; the service never assigns it). */
    PLANNED;

    private final String label = name().toLowerCase(Locale.ROOT);

    public String label() {
        return label;
    }

    /**
     * Sticky assignment by a hash of city and user: {@code [0, holdout)} holdout, then exploration, then
     * optimized, by a {@link StableHash} of city and user.
     */
    public static Group of(String city, String userId, double explorationShare, double holdoutShare) {
        double u = unitHash(city, userId);
        if (u < holdoutShare) {
            return HOLDOUT;
        }
        return u < holdoutShare + explorationShare ? EXPLORATION : OPTIMIZED;
    }

    static double unitHash(String city, String userId) {
        return StableHash.unit(0, city, userId);
    }
}
