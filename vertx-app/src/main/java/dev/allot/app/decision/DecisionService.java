package dev.allot.app.decision;

import dev.allot.app.control.RedisHealth;
import dev.allot.app.http.ApiException;
import dev.allot.app.metrics.Metrics;
import dev.allot.control.CityStateStore;
import dev.allot.control.DecisionIds;
import dev.allot.control.GrantsView;
import dev.allot.control.redis.CityStore;
import dev.allot.control.redis.GrantsFeed;
import dev.allot.control.redis.WriteBehindLog;
import dev.allot.engine.CitySetup;
import dev.allot.engine.Decision;
import dev.allot.engine.DecisionCodec;
import dev.allot.engine.DecisionContext;
import dev.allot.engine.DecisionEngine;
import dev.allot.engine.DecisionRecord;
import dev.allot.engine.DecisionRequest;
import dev.allot.rules.CouponHistory;
import dev.allot.rules.CityRules;
import dev.allot.rules.GuardrailRules;
import dev.allot.rules.RuleSet;
import dev.allot.scoring.ConversionCurve;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Decides for one arrival and records it: finds the user's coupon count (from the fleet's grants view, asking Redis
 * only when the view cannot tell), runs the {@link DecisionEngine}, claims the request id when one is given (the
 * claim returns an earlier response for it), and appends the decision to the write-behind log. A decision without a
 * request id usually makes no Redis round trip at all. Each Redis step has a fallback, so an outage degrades (no
 * de-duplication across replicas, history only as far as this replica knows it) but never fails a decision or loses
 * a total.
 */
public final class DecisionService {

    private static final Logger LOG = LoggerFactory.getLogger(DecisionService.class);
    /** The coupon history rules see: the user's coupons of the last seven days. */
    public static final long HISTORY_WINDOW_MILLIS = 7L * 24 * 3600 * 1000;
    private static final int LOCAL_RESPONSES = 10_000;
    /**
     * Decisions waiting for Redis past which a new one waits for the backlog to shrink: about 0.2 s of a busy
     * replica's decisions, many flushes' worth. Without it, a replica whose requests no longer wait for Redis took
     * decisions faster than Redis took their writes and filled its buffer within a minute of saturation.
     */
    static final long BACKLOG_TO_WAIT = 4_096;
    static final long MAX_HOLD_MILLIS = 1_000;

    /**
     * What claiming a request id found: the response that claimed it first, if any; and whether the claim could
     * not be made now (Redis unreachable), so the write-behind log makes it with the decision's batch.
     */
    private record Claim(Optional<String> earlier, boolean owed) {
        static final Claim OWED = new Claim(Optional.empty(), true);
    }

    /** What is known when deciding: the decision's time and the user's coupons in the window before it. */
    private record Known(Instant at, CouponHistory history) {
    }

    private final Map<String, CityRuntime> cities;
    private final CityRules rules;
    private final GrantsFeed grants;
    static final ApiException BUFFER_FULL = new ApiException.Unavailable("buffer_full", "Redis has been"
            + " unreachable long enough that this replica's write buffer is full: retry later");
    private final CityStore store;
    private final WriteBehindLog log;
    private final Metrics metrics;
    private final RedisHealth health;
    private final Clock clock;
    /** Responses by request id, so a client's retry during a Redis outage still gets the same decision. */
    private final Map<String, String> localResponses = Collections.synchronizedMap(
            new LinkedHashMap<>(1024, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
                    return size() > LOCAL_RESPONSES;
                }
            });

    public DecisionService(Map<String, CityRuntime> cities, CityRules rules, CityStore store, WriteBehindLog log,
                           GrantsFeed grants, Metrics metrics, RedisHealth health, Clock clock) {
        this.grants = grants;
        this.cities = Map.copyOf(cities);
        this.rules = rules;
        this.store = store;
        this.log = log;
        this.metrics = metrics;
        this.health = health;
        this.clock = clock;
    }

    public CityRuntime city(String name) {
        CityRuntime city = cities.get(name);
        if (city == null) {
            throw new ApiException.NotFound("city", "unknown city '" + name + "'; known: " + cities.keySet());
        }
        return city;
    }

    /** The fleet's coupon grants as this replica knows them. */
    public GrantsFeed grants() {
        return grants;
    }

    public Map<String, CityRuntime> cities() {
        return cities;
    }

    /** The response body (JSON) for {@code request}: the same body every time for the same request id. */
    public Future<Buffer> decide(DecisionRequest request, boolean explain, Context context) {
        long started = System.nanoTime();
        CityRuntime city;
        RuleSet ruleSet;
        try {
            city = city(request.city());
            ruleSet = rules.of(city.city()).flatMap(GuardrailRules::active)
                    .orElseThrow(() -> new ApiException.Unavailable("no guardrail rules loaded"));
        } catch (ApiException e) {
            return Future.failedFuture(e);
        }
        String localKey = request.requestId() == null ? null : request.city() + '\u0000' + request.requestId();
        String fingerprint = localKey == null ? null : Idempotency.fingerprint(request);
        if (localKey != null) {
            String local = localResponses.get(localKey);
            if (local != null) {
                try {
                    return Future.succeededFuture(Buffer.buffer(Idempotency.responseFor(fingerprint, local)));
                } catch (ApiException e) {
                    return Future.failedFuture(e);
                }
            }
        }
        if (log.full()) {
            // Redis has been unreachable for long enough that the writes still owed to it fill the buffer: a new
            // decision answered now could not be kept, so none is given and the client falls back. A retry of a
            // decision already answered is served, from memory above or from Redis here.
            return storedResponse(request, context).compose(stored -> {
                if (stored.isPresent()) {
                    return Future.succeededFuture(Buffer.buffer(Idempotency.responseFor(fingerprint, stored.get())));
                }
                metrics.shed("decision");
                return Future.failedFuture(BUFFER_FULL);
            });
        }
        CompletionStage<Void> room = log.whenBelow(BACKLOG_TO_WAIT);
        Future<Void> admitted = room.toCompletableFuture().isDone() ? Future.succeededFuture()
                : held(room, context);
        // The decision's time is taken once admitted: a decision held for the backlog is stamped when it is made.
        return admitted.compose(v -> {
            Instant at = clock.instant();
            return history(request, at, context).map(history -> new Known(at, history));
        }).compose(known -> {
            Instant now = known.at();
            CouponHistory history = known.history();
            CitySetup setup = city.setup();
            String day = setup.config().tradingDay().keyOf(now);
            String decisionId = DecisionIds.next(setup.city(), now.toEpochMilli());
            DecisionContext seen = DecisionContext.of(history, city.totals(), request);
            DecisionEngine.Result result = DecisionEngine.decide(setup, ruleSet, city.lambda(), request, seen,
                    decisionId, now.toEpochMilli(), day);
            byte[] json = Decision.of(result.record(), setup.config().currency(), explain).toJsonBytes();
            if (request.requestId() == null) {
                record(result, started, null);
                return Future.succeededFuture(Buffer.buffer(json));
            }
            String body = new String(json, StandardCharsets.UTF_8);
            // A concurrent or earlier request with this id (possibly on another replica) may have claimed it first:
            // then its response is ours and this decision is neither counted nor logged. The claim is the one Redis
            // round trip a request id costs: it reads the earlier response and stores this one in one step.
            String bound = Idempotency.bind(fingerprint, body);
            return claim(request, bound, context).map(claim -> {
                Optional<String> previous = claim.earlier();
                if (previous.isEmpty()) {
                    record(result, started, claim.owed() ? bound : null);
                }
                localResponses.put(localKey, previous.orElse(bound));
                return Buffer.buffer(previous.map(p -> Idempotency.responseFor(fingerprint, p)).orElse(body));
            });
        });
    }

    /**
     * Admitted when the backlog shrinks, or after {@link #MAX_HOLD_MILLIS} whatever it does: a decision is never held
     * for long (the buffer's own bound still refuses one it could not keep).
     */
    private Future<Void> held(CompletionStage<Void> room, Context context) {
        metrics.held();
        Promise<Void> admitted = Promise.promise();
        long timer = context.owner().setTimer(MAX_HOLD_MILLIS, t -> admitted.tryComplete());
        Future.fromCompletionStage(room, context).onComplete(done -> {
            context.owner().cancelTimer(timer);
            admitted.tryComplete();
        });
        return admitted.future();
    }

    /**
     * The user's coupons in the window: from the grants view when it can tell exactly (no round trip), else from
     * Redis, else (Redis unreachable) what the city chose for an unknown history.
     */
    private Future<CouponHistory> history(DecisionRequest request, Instant now, Context context) {
        long from = now.toEpochMilli() - HISTORY_WINDOW_MILLIS;
        long known = grants.count(request.city(), request.userId(), from);
        if (known != GrantsView.UNKNOWN) {
            return Future.succeededFuture(new CouponHistory(known, true));
        }
        if (health.circuitOpen()) {
            metrics.redisSkipped("prepare");
            return Future.succeededFuture(historyWithoutRedis(request, from));
        }
        CompletionStage<CityStateStore.Preparation> stage = store.prepare(request.city(), null, request.userId(), from);
        return Future.fromCompletionStage(stage, context)
                .map(p -> {
                    health.succeeded();
                    return new CouponHistory(p.couponsInWindow(), true);
                })
                .recover(error -> {
                    redisFailed("prepare", error);
                    return Future.succeededFuture(historyWithoutRedis(request, from));
                });
    }

    /** The city's choice for a history Redis cannot give: the grants this replica knows of, or unknown. */
    private CouponHistory historyWithoutRedis(DecisionRequest request, long fromMillis) {
        if (!cities.get(request.city()).setup().config().localHistoryWhenUnknown()) {
            return new CouponHistory(0, false);
        }
        return new CouponHistory(grants.lowerBound(request.city(), request.userId(), fromMillis), true);
    }

    /** The response stored for the request's id, if any and if Redis answers. */
    private Future<Optional<String>> storedResponse(DecisionRequest request, Context context) {
        if (request.requestId() == null || health.circuitOpen()) {
            return Future.succeededFuture(Optional.empty());
        }
        return Future.fromCompletionStage(store.storedResponse(request.city(), request.requestId()), context)
                .otherwise(Optional.empty());
    }

    private Future<Claim> claim(DecisionRequest request, String body, Context context) {
        if (health.circuitOpen()) {
            // This replica's own memory answers a retry it saw; the claim goes to Redis with the decision's batch,
            // so a retry on another replica after Redis is back gets this response, not a second decision.
            metrics.redisSkipped("claim");
            return Future.succeededFuture(Claim.OWED);
        }
        return Future.fromCompletionStage(store.claim(request.city(), request.requestId(), body), context)
                .map(earlier -> new Claim(earlier, false))
                .recover(error -> {
                    redisFailed("claim", error);
                    return Future.succeededFuture(Claim.OWED);
                });
    }

    /** Counts and logs the decision; {@code owedClaim}, when not null, is the response its request id claims. */
    private void record(DecisionEngine.Result result, long started, String owedClaim) {
        DecisionRecord r = result.record();
        if (r.coupon() > 0) {
            grants.granted(r.city(), r.userId(), r.timestampMillis(), r.decisionId());
        }
        log.append(r.event(DecisionCodec.toStream(r)), owedClaim == null ? null : r.requestId(), owedClaim);
        metrics.decided(r.city(), r.group(), r.level(), System.nanoTime() - started);
        metrics.ruleHits(r.reasons());
        metrics.unknownFeatures(r.city(), result.unknownFeatures());
        if (!ConversionCurve.nonDecreasing(r.levels().raw())) {
            metrics.nonMonotoneCurve(r.city());
        }
    }

    private void redisFailed(String operation, Throwable error) {
        if (!health.degraded()) {
            LOG.warn("Redis {} failed, deciding without it: {}", operation, error.toString());
        }
        health.failed(error);
        metrics.redisError(operation);
    }
}
