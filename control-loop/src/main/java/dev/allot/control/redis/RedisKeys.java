package dev.allot.control.redis;

import dev.allot.control.DecisionIds;

/**
 * Every key Allot uses. Each carries its city in a hash tag, {@code {city}}, so that all of a city's keys
 * live in one Redis Cluster slot and a Lua script may touch several of them.
 */
public final class RedisKeys {

    private RedisKeys() {
    }

    private static String prefix(String city) {
        return "allot:{" + city + "}:";
    }

    /**
     * A random value set once in a Redis that holds the city's state: when it is missing, Redis lost the city's
     * data (restarted empty, failed over to an empty replica), and the replicas write back what they know.
     */
    public static String epoch(String city) {
        return prefix(city) + "epoch";
    }

    public static String lambda(String city) {
        return prefix(city) + "lambda";
    }

    /** The offline lambda for a city's day, from {@code solve-lambda}: where that day's controller starts. */
    public static String lambda0(String city, String day) {
        return prefix(city) + "lambda0:" + day;
    }

    public static String pid(String city) {
        return prefix(city) + "pid";
    }

    public static String pidLock(String city) {
        return prefix(city) + "pid:lock";
    }

    public static String totals(String city, String day) {
        return prefix(city) + "totals:" + day;
    }

    public static String decisions(String city) {
        return prefix(city) + "decisions";
    }

    public static String outcomes(String city) {
        return prefix(city) + "outcomes";
    }

    /** A decision's own outcome index: where ids given before version 7 ({@link DecisionIds}) were indexed. */
    public static String decision(String city, String decisionId) {
        return prefix(city) + "decision:" + decisionId;
    }

    /**
     * The hash holding the outcome indexes of the city's decisions taken in one second, keyed by decision id; null
     * for an id that carries no time.
     */
    public static String decisionSecond(String city, String decisionId) {
        long millis = DecisionIds.millis(decisionId);
        return millis < 0 ? null : prefix(city) + "decisions:" + Math.floorDiv(millis, 1000);
    }

    public static String request(String city, String requestId) {
        return prefix(city) + "request:" + requestId;
    }

    public static String couponHistory(String city, String userId) {
        return prefix(city) + "user:" + userId + ":coupons";
    }

    /** Every coupon granted in the city, one entry per write-behind batch ({@link GrantsFeed}). */
    public static String grants(String city) {
        return prefix(city) + "grants";
    }

    /** Since when (ms) the grants stream holds every grant: 0 when it began with the city's first decisions. */
    public static String grantsSince(String city) {
        return prefix(city) + "grants:since";
    }

    /** Per replica (its journal id): the journal position of its latest batch Redis applied for the city. */
    public static String highWater(String city) {
        return prefix(city) + "highwater";
    }

    public static String flushMarker(String city, String batchId) {
        return prefix(city) + "flush:" + batchId;
    }
}
