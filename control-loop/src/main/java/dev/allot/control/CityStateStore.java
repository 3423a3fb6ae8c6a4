package dev.allot.control;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * A city's shared state: lambda and the controller's state, the day's running totals, users' coupon histories,
 * idempotency claims and the index outcomes are matched against. The service keeps it in Redis
 * ({@code dev.allot.control.redis.CityStore}), shared by every replica; the simulator, replays and tests keep it
 * in memory ({@code dev.allot.control.memory.InMemoryCityStore}). Every call is asynchronous so callers on event
 * loops compose the stages and never wait on them; an in-memory store returns completed stages.
 *
 * <p>Decisions are written separately, through a {@link DecisionSink}, because the service batches them.
 */
public interface CityStateStore {

    /** What a request needs to know before deciding. */
    record Preparation(Optional<String> storedResponse, long couponsInWindow) {
    }

    /** Outcome of {@link #recordOutcome}. */
    enum OutcomeResult { COUNTED, DUPLICATE, UNKNOWN_DECISION }

    /** A stored response for {@code requestId} (when not null) and the user's coupons since {@code sinceMillis}. */
    CompletionStage<Preparation> prepare(String city, String requestId, String userId, long sinceMillis);

    /** Stores {@code response} under the request id unless one is there already; returns the earlier one. */
    CompletionStage<Optional<String>> claim(String city, String requestId, String response);

    CompletionStage<CityTotals> totals(String city, String day);

    CompletionStage<Optional<Double>> lambda(String city);

    CompletionStage<?> setLambda(String city, double lambda);

    /** The offline lambda stored for a day, where that day's controller starts. */
    CompletionStage<Optional<Double>> lambda0(String city, String day);

    CompletionStage<?> setLambda0(String city, String day, double lambda);

    /** The controller's stored fields: lambda, integral, lastError, ticks, day, frozen, gains.*. */
    CompletionStage<Map<String, String>> pidFields(String city);

    /** Sets fields of the controller's state outside a tick (admin: freeze, override, gains). */
    CompletionStage<?> setPidFields(String city, Map<String, String> fields);

    /** The index of a decision (day, level, coupon, price, segment, group), empty when unknown or expired. */
    CompletionStage<Map<String, String>> decisionRecord(String city, String decisionId);

    /** Counts an outcome once against its decision's day. */
    CompletionStage<OutcomeResult> recordOutcome(String city, String decisionId, String day, boolean converted,
                                                 double revenue, double coupon, long timestampMillis);

    /** Takes or renews the city's controller lock for {@code owner}; true when held. */
    CompletionStage<Boolean> lock(String city, String owner, long ttlMillis);

    /** Gives the city's controller lock up if {@code owner} holds it (a replica stopping); true when released. */
    CompletionStage<Boolean> unlock(String city, String owner);

    /** Writes a controller step, made with {@code gains}, if {@code owner} still holds the city's lock. */
    CompletionStage<Boolean> writePid(String city, String owner, String day, PidState state, PidGains gains,
                                      long nowMillis);
}
