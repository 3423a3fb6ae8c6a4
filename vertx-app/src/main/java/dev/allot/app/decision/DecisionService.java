package dev.allot.app.decision;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.allot.app.control.RedisHealth;
import dev.allot.app.http.ApiException;
import dev.allot.app.metrics.Metrics;
import dev.allot.control.CityStateStore;
import dev.allot.control.DecisionIds;
import dev.allot.control.redis.CityStore;
import dev.allot.control.redis.WriteBehindLog;
import dev.allot.engine.CitySetup;
import dev.allot.engine.Decision;
import dev.allot.engine.DecisionCodec;
import dev.allot.engine.DecisionContext;
import dev.allot.engine.DecisionEngine;
import dev.allot.engine.DecisionRecord;
import dev.allot.engine.DecisionRequest;
import dev.allot.engine.Json;
import dev.allot.rules.CouponHistory;
import dev.allot.rules.CityRules;
import dev.allot.rules.GuardrailRules;
import dev.allot.rules.RuleSet;
import dev.allot.scoring.ConversionCurve;
import io.vertx.core.Context;
import io.vertx.core.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Decides for one arrival and records it: asks Redis what it needs (a stored response for a repeated request
 * id, the user's coupon count), runs the {@link DecisionEngine}, claims the request id, and appends the
 * decision to the write-behind log. Each Redis step has a fallback, so an outage degrades (no
 * de-duplication across replicas, history unknown to the rules) but never fails a decision or loses a total.
 */
public final class DecisionService {

    private static final Logger LOG = LoggerFactory.getLogger(DecisionService.class);
    private static final long HISTORY_WINDOW_MILLIS = 7L * 24 * 3600 * 1000;
    private static final int LOCAL_RESPONSES = 10_000;

    private record Prepared(Optional<String> stored, CouponHistory history) {
    }

    /**
     * What claiming a request id found: the response that claimed it first, if any; and whether the claim could
     * not be made now (Redis unreachable), so the write-behind log makes it with the decision's batch.
     */
    private record Claim(Optional<String> earlier, boolean owed) {
        static final Claim NONE = new Claim(Optional.empty(), false);
        static final Claim OWED = new Claim(Optional.empty(), true);
    }

    private final Map<String, CityRuntime> cities;
    private final CityRules rules;
    private final LocalGrants grants = new LocalGrants(200_000);
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
                           Metrics metrics, RedisHealth health, Clock clock) {
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

    public Map<String, CityRuntime> cities() {
        return cities;
    }

    /** The response body (JSON) for {@code request}: the same body every time for the same request id. */
    public Future<String> decide(DecisionRequest request, boolean explain, Context context) {
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
                    return Future.succeededFuture(Idempotency.responseFor(fingerprint, local));
                } catch (ApiException e) {
                    return Future.failedFuture(e);
                }
            }
        }
        Instant now = clock.instant();
        return prepare(request, now, context).compose(prepared -> {
            if (prepared.stored().isPresent()) {
                return Future.succeededFuture(Idempotency.responseFor(fingerprint, prepared.stored().get()));
            }
            if (log.full()) {
                // Redis has been unreachable for long enough that the writes still owed to it fill the buffer: a
                // new decision answered now could not be kept, so none is given and the client falls back. A
                // retry of a decision already answered was served above, from memory or Redis.
                metrics.shed("decision");
                return Future.failedFuture(BUFFER_FULL);
            }
            CitySetup setup = city.setup();
            String day = setup.config().tradingDay().keyOf(now);
            String decisionId = DecisionIds.next(setup.city(), now.toEpochMilli());
            DecisionContext seen = DecisionContext.of(prepared.history(), city.totals(), request);
            DecisionEngine.Result result = DecisionEngine.decide(setup, ruleSet, city.lambda(), request, seen,
                    decisionId, now.toEpochMilli(), day);
            String body = toJson(Decision.of(result.record(), setup.config().currency(), explain));
            // With a request id, a concurrent or earlier request (possibly on another replica) may have claimed
            // it first: then its response is ours and this decision is neither counted nor logged.
            String bound = request.requestId() == null ? null : Idempotency.bind(fingerprint, body);
            Future<Claim> claimed = request.requestId() == null ? Future.succeededFuture(Claim.NONE)
                    : claim(request, bound, context);
            return claimed.map(claim -> {
                Optional<String> previous = claim.earlier();
                String response = previous.map(p -> Idempotency.responseFor(fingerprint, p)).orElse(body);
                if (previous.isEmpty()) {
                    record(result, started, claim.owed() ? bound : null);
                }
                if (localKey != null) {
                    localResponses.put(localKey, previous.orElse(Idempotency.bind(fingerprint, body)));
                }
                return response;
            });
        });
    }

    private Future<Prepared> prepare(DecisionRequest request, Instant now, Context context) {
        if (health.circuitOpen()) {
            metrics.redisSkipped("prepare");
            return Future.succeededFuture(new Prepared(Optional.empty(), historyWithoutRedis(request, now)));
        }
        CompletionStage<CityStateStore.Preparation> stage = store.prepare(request.city(), request.requestId(),
                request.userId(), now.toEpochMilli() - HISTORY_WINDOW_MILLIS);
        return Future.fromCompletionStage(stage, context)
                .map(p -> {
                    health.succeeded();
                    return new Prepared(p.storedResponse(), new CouponHistory(p.couponsInWindow(), true));
                })
                .recover(error -> {
                    redisFailed("prepare", error);
                    return Future.succeededFuture(new Prepared(Optional.empty(), historyWithoutRedis(request, now)));
                });
    }

    /** The city's choice for a history Redis cannot give: this replica's own grants, or unknown to the rules. */
    private CouponHistory historyWithoutRedis(DecisionRequest request, Instant now) {
        if (!cities.get(request.city()).setup().config().localHistoryWhenUnknown()) {
            return new CouponHistory(0, false);
        }
        return new CouponHistory(grants.since(request.city(), request.userId(),
                now.toEpochMilli() - HISTORY_WINDOW_MILLIS), true);
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
            grants.granted(r.city(), r.userId(), r.timestampMillis());
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

    static String toJson(Decision decision) {
        try {
            return Json.MAPPER.writeValueAsString(decision);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise decision", e);
        }
    }
}
