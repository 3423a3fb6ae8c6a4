package dev.allot.app.decision;

import dev.allot.app.control.RedisHealth;
import dev.allot.app.http.ApiException;
import dev.allot.app.metrics.Metrics;
import dev.allot.control.CityStateStore;
import dev.allot.control.redis.CityStore;
import dev.allot.control.journal.Journal;
import dev.allot.control.redis.WriteBehindLog;
import io.lettuce.core.RedisConnectionException;
import io.vertx.core.Context;
import io.vertx.core.Future;

import java.time.Clock;
import java.util.Locale;
import java.util.Map;

/**
 * Records whether a decided customer bought. Counted once per decision (a repeat is acknowledged, not
 * counted). While Redis is unreachable the outcome is queued in the write-behind log and applied later.
 */
public final class OutcomeService {

    /** What happened to an outcome: counted now, already counted, or queued until Redis is back. */
    public enum Status { COUNTED, DUPLICATE, QUEUED }

    private final DecisionService decisions;
    private final CityStore store;
    private final WriteBehindLog log;
    private final Metrics metrics;
    private final RedisHealth health;
    private final Clock clock;

    public OutcomeService(DecisionService decisions, CityStore store, WriteBehindLog log, Metrics metrics,
                          RedisHealth health, Clock clock) {
        this.decisions = decisions;
        this.store = store;
        this.log = log;
        this.metrics = metrics;
        this.health = health;
        this.clock = clock;
    }

    /** Stands for the Redis call not made while the circuit is open. */
    private static final RedisConnectionException CIRCUIT_OPEN = new RedisConnectionException("circuit open");

    public Future<Status> record(OutcomeRequest outcome, Context context) {
        String id = outcome.decisionId();
        int dot = id.indexOf('.');
        String city = dot > 0 ? id.substring(0, dot) : "";
        if (!decisions.cities().containsKey(city)) {
            return Future.failedFuture(unknown(id));
        }
        long now = clock.millis();
        // With the circuit open, the lookup would only wait for a timeout: the outcome is queued at once.
        Future<Map<String, String>> found = health.circuitOpen() ? Future.failedFuture(CIRCUIT_OPEN)
                : lookup(city, id, context);
        return found
                .compose(record -> {
                    if (record.isEmpty()) {
                        return Future.failedFuture(unknown(id));
                    }
                    double revenue = outcome.revenue() != null ? outcome.revenue()
                            : Double.parseDouble(record.getOrDefault("price", "0"));
                    double coupon = Double.parseDouble(record.getOrDefault("coupon", "0"));
                    return Future.fromCompletionStage(store.recordOutcome(city, id, record.get("day"),
                            outcome.converted(), revenue, coupon, now), context).map(r -> {
                                health.succeeded();
                                if (r != CityStateStore.OutcomeResult.COUNTED) {
                                    return Status.DUPLICATE;
                                }
                                // Journaled as counted: not sent again, except to a Redis that lost it.
                                log.appendOutcome(new Journal.Outcome(city, id, outcome.converted(), revenue, now,
                                        true));
                                return Status.COUNTED;
                            });
                })
                .recover(error -> {
                    if (error instanceof ApiException) {
                        return Future.failedFuture(error);
                    }
                    if (error == CIRCUIT_OPEN) {
                        metrics.redisSkipped("outcome");
                    } else {
                        health.failed(error);
                        metrics.redisError("outcome");
                    }
                    if (log.full()) {
                        metrics.shed("outcome");
                        return Future.failedFuture(DecisionService.BUFFER_FULL);
                    }
                    log.appendOutcome(new Journal.Outcome(city, id, outcome.converted(),
                            outcome.revenue() == null ? Double.NaN : outcome.revenue(), now, false));
                    return Future.succeededFuture(Status.QUEUED);
                })
                .onSuccess(status -> metrics.outcome(city, status.name().toLowerCase(Locale.ROOT)));
    }

    /** The decision's record; if absent, this replica may still hold it unflushed: flush once and look again. */
    private Future<Map<String, String>> lookup(String city, String id, Context context) {
        return Future.fromCompletionStage(store.decisionRecord(city, id), context).compose(record -> {
            if (!record.isEmpty()) {
                return Future.succeededFuture(record);
            }
            return Future.fromCompletionStage(log.flush(), context)
                    .compose(report -> Future.fromCompletionStage(store.decisionRecord(city, id), context));
        });
    }

    private static ApiException unknown(String id) {
        return new ApiException.NotFound("decisionId", "unknown decision '" + id + "'");
    }
}
