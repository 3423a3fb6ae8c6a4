package dev.allot.app.control;

import dev.allot.app.decision.CityRuntime;
import dev.allot.app.metrics.Metrics;
import dev.allot.control.CityTotals;
import dev.allot.control.PidGains;
import dev.allot.control.PidState;
import dev.allot.control.PidTicker;
import dev.allot.control.redis.CityStore;
import dev.allot.control.redis.WriteBehindLog;
import io.vertx.core.Context;
import io.vertx.core.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The replica's side of the control loop: flushes its write-behind log, refreshes each city's lambda, gains
 * and totals from Redis, and runs PID ticks (which only the lock holder's replica performs). Timers live in
 * {@link ControlVerticle}; this class takes the clock as an argument so tests drive a simulated day.
 */
public final class CityController {

    private static final Logger LOG = LoggerFactory.getLogger(CityController.class);

    private final CityStore store;
    private final WriteBehindLog log;
    private final PidTicker ticker;
    private final RedisHealth health;
    private final Metrics metrics;
    private final Clock clock;
    private volatile boolean steering = true;
    private volatile java.util.function.Consumer<CityRuntime> onDataLoss = city -> { };
    /** Cities whose journal restore is running on this replica. */
    private final java.util.Set<String> restoring = java.util.concurrent.ConcurrentHashMap.newKeySet();

    public CityController(CityStore store, WriteBehindLog log, PidTicker ticker, RedisHealth health, Metrics metrics,
                          Clock clock) {
        this.store = store;
        this.log = log;
        this.ticker = ticker;
        this.health = health;
        this.metrics = metrics;
        this.clock = clock;
    }

    public WriteBehindLog log() {
        return log;
    }

    public Future<WriteBehindLog.FlushReport> flush(Context context) {
        return Future.fromCompletionStage(log.flush(), context).onSuccess(report -> {
            if (report.succeeded()) {
                if (report.decisions() > 0) {
                    health.succeeded();
                }
            } else {
                health.failed(report.failure());
                metrics.redisError("flush");
            }
        });
    }

    /**
     * Reads the city's lambda, controller settings and today's totals into the replica's view; first checks the
     * city's epoch, and when Redis lost the city's data, writes back what this replica knows (see
     * {@link #recoverDataLoss}).
     */
    public Future<Void> refresh(CityRuntime city, Context context) {
        String day = city.setup().config().tradingDay().keyOf(clock.instant());
        return Future.fromCompletionStage(store.epoch(city.city()), context)
                .compose(epoch -> checkEpoch(city, epoch.orElse(null), context))
                .compose(fresh -> {
                    Future<Map<String, String>> pid = Future.fromCompletionStage(store.pidFields(city.city()), context);
                    Future<CityTotals> totals = Future.fromCompletionStage(store.totals(city.city(), day), context);
                    Future<Optional<Double>> lambda0 = Future.fromCompletionStage(store.lambda0(city.city(), day),
                            context);
                    String replica = log.replicaKey();
                    // What this replica saw confirmed before asking: the mark must be at least there.
                    var seen = log.confirmed(city.city());
                    Future<Optional<String>> mark = replica == null ? Future.succeededFuture(Optional.empty())
                            : Future.fromCompletionStage(store.highWater(city.city(), replica), context);
                    return Future.all(pid, totals, lambda0, mark).<Void>map(all -> {
                        health.succeeded();
                        observe(city, day, pid.result(), totals.result(), lambda0.result(), context);
                        if (replica != null) {
                            resendIfBehind(city, mark.result().orElse(null), seen, context);
                        }
                        return null;
                    });
                })
                .onFailure(error -> {
                    health.failed(error);
                    metrics.redisError("refresh");
                });
    }

    private void observe(CityRuntime city, String day, Map<String, String> fields, CityTotals totals,
                         Optional<Double> lambda0, Context context) {
        city.observe(fields, PidTicker.frozen(fields, clock.millis()), gains(fields, city), totals, clock.millis());
        String storedDay = fields.get("day");
        if (storedDay != null && !storedDay.equals(day)) {
            // The city's day has turned and no tick has run in it yet: decide with the day's offline lambda
            // at once, and tick now so the controller (on whichever replica holds the lock) starts the day.
            if (!city.frozen()) {
                lambda0.ifPresent(city::observeLambda);
            }
            tick(city, context);
        }
    }

    /**
     * Compares the city's epoch in Redis with the one this replica saw last. Missing where this replica had seen
     * one, or different: Redis lost the city's data since (an empty restart, a failover to an empty replica).
     * A replica that never saw an epoch sets a missing one as provisional ("p:<ms>:..."): it cannot tell a new
     * deployment from a Redis that lost its data, and a replica that knows the city's state replaces a provisional
     * epoch with its write-back, for ten minutes; after that the provisional epoch is the city's.
     */
    private Future<Void> checkEpoch(CityRuntime city, String inRedis, Context context) {
        String known = city.epoch();
        if (inRedis != null && inRedis.equals(known) || restoring.contains(city.city())) {
            return Future.succeededFuture();
        }
        if (known == null) {
            if (inRedis != null) {
                city.observeEpoch(inRedis);
                return Future.succeededFuture();
            }
            String provisional = CityStore.provisionalEpoch(clock.millis());
            return Future.fromCompletionStage(store.recreateEpoch(city.city(), provisional, null, null,
                            clock.millis()), context)
                    .map(result -> {
                        if (result != CityStore.EpochResult.PRESENT) {
                            city.observeEpoch(provisional);
                        }
                        return null;
                    });
        }
        if (inRedis != null && !CityStore.replaceable(inRedis, clock.millis())) {
            // Another replica noticed first and wrote the control state back; this one restores its own share.
            return recoverDataLoss(city, false, inRedis, context);
        }
        String epoch = UUID.randomUUID().toString();
        Map<String, String> fields = new LinkedHashMap<>(city.pidFields());
        fields.put("lambda", Double.toString(city.lambda()));
        return Future.fromCompletionStage(store.recreateEpoch(city.city(), epoch, fields, city.lambda(),
                        clock.millis()), context)
                .compose(result -> result == CityStore.EpochResult.WRITTEN_BACK
                        ? recoverDataLoss(city, true, epoch, context)
                        // Another replica restored a moment ago: its epoch is read at the next refresh.
                        : Future.succeededFuture());
    }

    /**
     * Redis lost the city's data: the replica that set the new epoch wrote the controller's state back with it (λ,
     * integral, freeze, override, gains) and stores its rule set again; every replica sends its journal's retained
     * batches of the city again, which restores the day's totals, stream and histories, each batch once. One
     * restore per city at a time; the new epoch is taken when it succeeded, so one cut short is tried again.
     */
    private Future<Void> recoverDataLoss(CityRuntime city, boolean wroteBack, String epoch, Context context) {
        if (!restoring.add(city.city())) {
            return Future.succeededFuture();
        }
        LOG.warn("Redis lost the data of {} (its epoch changed){}: restoring this replica's share from its journal",
                city.city(), wroteBack ? "; this replica wrote the controller state back (λ " + city.lambda() + ")" : "");
        metrics.redisDataLoss(city.city());
        if (wroteBack) {
            onDataLoss.accept(city);
        }
        Future.fromCompletionStage(log.restoreAfterDataLoss(city.city()), context).onComplete(ar -> {
            if (ar.succeeded()) {
                city.observeEpoch(epoch);
            } else {
                LOG.warn("Restoring {} from the journal failed, tried again at the next refresh: {}", city.city(),
                        ar.cause().toString());
            }
            restoring.remove(city.city());
        });
        // The refresh goes on meanwhile: a restore may take minutes, and the replica keeps serving.
        return Future.succeededFuture();
    }

    /**
     * Redis kept the city's epoch but lost this replica's last writes (a crash between AOF fsyncs, a failover to a
     * lagging replica): its high-water mark for this replica is behind what this replica saw confirmed. What lies
     * between is sent again from the journal, beside the flushes.
     */
    private void resendIfBehind(CityRuntime city, String mark, dev.allot.control.journal.Journal.Position seen,
                                Context context) {
        if (restoring.contains(city.city())) {
            return;
        }
        log.resendIfBehind(city.city(), mark, seen).ifPresent(resend -> {
            if (!restoring.add(city.city())) {
                return;
            }
            Future.fromCompletionStage(resend, context).onComplete(ar -> {
                restoring.remove(city.city());
                if (ar.succeeded() && ar.result() > 0) {
                    metrics.redisLostWrites(city.city(), ar.result());
                }
            });
        });
    }

    /** Called for a city whose control state this replica wrote back: the rule set in force is stored again too. */
    public void onDataLoss(java.util.function.Consumer<CityRuntime> listener) {
        this.onDataLoss = listener;
    }

    /** One PID step for the city, after flushing this replica's pending decisions so they count. */
    public Future<Optional<PidState>> tick(CityRuntime city, Context context) {
        var config = city.setup().config();
        String day = config.tradingDay().keyOf(clock.instant());
        return flush(context).compose(report -> steering
                        ? Future.fromCompletionStage(ticker.tick(city.city(), day, config.constraint(), city.gains(),
                                config.initialLambda(), realizedSteering(city), clock.millis()), context)
                        // Stopping: a tick that was waiting for the flush must not take the released lease back.
                        : Future.succeededFuture(new PidTicker.Tick(Optional.empty(), Double.NaN, CityTotals.EMPTY)))
                .map(tick -> {
                    tick.state().ifPresent(s -> {
                        city.observeLambda(s.lambda());
                        LOG.debug("PID {}: error {} -> lambda {}", city.city(), tick.error(), s.lambda());
                    });
                    return tick.state();
                })
                .onFailure(error -> {
                    health.failed(error);
                    metrics.redisError("pid");
                });
    }

    /** Whether Redis is unreachable (or was never reached) as far as this replica knows. */
    public boolean redisDegraded() {
        return health.degraded() || !store.link().connected().isDone();
    }

    /** Redis as this replica sees it, for readiness: up, degraded (with the error) or never reached. */
    public Map<String, Object> redisStatus() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("status", !store.link().connected().isDone() ? "never reached" : health.degraded() ? "degraded" : "up");
        if (health.degraded()) {
            out.put("error", health.lastError());
        }
        out.put("pendingDecisions", log.pendingDecisions());
        out.put("pendingOutcomes", log.pendingOutcomes());
        return out;
    }

    /** This replica's name in the controller locks. */
    public String replica() {
        return ticker.owner();
    }

    /** Renews (or takes, when free) the city's controller lease; failures only mean no lease this time. */
    public Future<Boolean> renewLease(CityRuntime city, Context context) {
        if (!steering) {
            return Future.succeededFuture(false);
        }
        return Future.fromCompletionStage(ticker.renew(city.city(), city.gains()), context)
                .recover(error -> Future.succeededFuture(false));
    }

    /** Stops this replica steering: no tick or lease renewal from now on, whatever is in flight. */
    public void stopSteering() {
        steering = false;
    }

    /** Gives the city's controller lease up, so another replica takes over at once rather than after it lapses. */
    public Future<Boolean> releaseLease(CityRuntime city, Context context) {
        return Future.fromCompletionStage(ticker.release(city.city()), context)
                .recover(error -> Future.succeededFuture(false));
    }

    /** The steering signal in force: the one ops set, else the city config's. */
    public static boolean realizedSteering(CityRuntime city) {
        return PidTicker.realizedSteering(city.pidFields(), city.setup().config().realizedSteering());
    }

    /** Gains stored by the admin API override the file's; an invalid stored set is ignored. */
    static PidGains gains(Map<String, String> fields, CityRuntime city) {
        PidGains file = city.setup().config().pid();
        if (!fields.containsKey("gains.kp")) {
            return file;
        }
        try {
            return new PidGains(Double.parseDouble(fields.get("gains.kp")), Double.parseDouble(fields.get("gains.ki")),
                    Double.parseDouble(fields.get("gains.kd")), Double.parseDouble(fields.get("gains.intervalSeconds")),
                    Double.parseDouble(fields.get("gains.lambdaMin")), Double.parseDouble(fields.get("gains.lambdaMax")));
        } catch (RuntimeException e) {
            LOG.warn("Ignoring invalid stored PID gains for {}: {}", city.city(), e.getMessage());
            return file;
        }
    }

    /** The gains as an audit entry or a response shows them. */
    public static Map<String, Object> gainMap(PidGains g) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("kp", g.kp());
        out.put("ki", g.ki());
        out.put("kd", g.kd());
        out.put("intervalSeconds", g.intervalSeconds());
        out.put("lambdaMin", g.lambdaMin());
        out.put("lambdaMax", g.lambdaMax());
        return out;
    }

    public static Map<String, String> gainFields(PidGains g) {
        Map<String, String> fields = new LinkedHashMap<>();
        gainMap(g).forEach((name, value) -> fields.put("gains." + name, value.toString()));
        return fields;
    }

    /** {@code GET /v1/cities/{city}/state}: live from Redis, or the replica's last view while degraded. */
    public Future<Map<String, Object>> state(CityRuntime city, Context context) {
        return refresh(city, context).transform(ar -> Future.succeededFuture(render(city, ar.failed())));
    }

    private Map<String, Object> render(CityRuntime city, boolean stale) {
        Map<String, String> pid = city.pidFields();
        var config = city.setup().config();
        CityTotals t = city.totals();
        PidGains g = city.gains();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("city", city.city());
        out.put("day", config.tradingDay().keyOf(clock.instant()));
        out.put("lambda", city.lambda());
        out.put("frozen", city.frozen());
        String until = pid.get("frozenUntil");
        if (city.frozen() && until != null && !until.isEmpty() && !"0".equals(until)) {
            out.put("frozenUntil", java.time.Instant.ofEpochMilli(Long.parseLong(until)).toString());
        }
        Map<String, Object> target = new LinkedHashMap<>();
        target.put("type", config.constraint().type());
        target.put("value", config.constraint().target());
        target.put("steerOn", realizedSteering(city) ? "realized" : "expected");
        target.put("measured", finiteOrNull(config.constraint().measure(t, realizedSteering(city))));
        out.put("target", target);
        Map<String, Object> averages = new LinkedHashMap<>();
        averages.put("expectedAveragePrice", finiteOrNull(t.expectedAveragePrice()));
        averages.put("realizedAveragePrice", finiteOrNull(t.realizedAveragePrice()));
        averages.put("expectedSpendPerArrival", finiteOrNull(t.expectedSpendPerArrival()));
        averages.put("realizedSpendPerArrival", finiteOrNull(t.realizedSpendPerArrival()));
        out.put("averages", averages);
        Map<String, Object> counts = new LinkedHashMap<>();
        counts.put("decisions", t.decisions());
        counts.put("coupons", Math.round(t.get(CityTotals.COUPONS)));
        counts.put("outcomes", Math.round(t.get(CityTotals.OUTCOMES)));
        counts.put("purchases", Math.round(t.get(CityTotals.PURCHASES)));
        counts.put("expectedConversions", t.get(CityTotals.CONVERSIONS));
        Map<String, Long> byGroup = new LinkedHashMap<>();
        for (String group : new String[]{"optimized", "exploration", "holdout"}) {
            byGroup.put(group, Math.round(t.get(CityTotals.groupDecisions(group))));
        }
        counts.put("byGroup", byGroup);
        out.put("counts", counts);
        Map<String, Object> spend = new LinkedHashMap<>();
        spend.put("expected", t.get(CityTotals.SPEND));
        spend.put("realized", t.get(CityTotals.REALIZED_SPEND));
        out.put("spend", spend);
        Map<String, Object> pidOut = new LinkedHashMap<>(gainMap(g));
        pidOut.put("integral", parseOrNull(pid.get("integral")));
        pidOut.put("lastError", parseOrNull(pid.get("lastError")));
        pidOut.put("ticks", pid.containsKey("ticks") ? Long.parseLong(pid.get("ticks")) : 0);
        out.put("pid", pidOut);
        out.put("modelVersion", city.setup().model().version());
        out.put("degraded", stale || redisDegraded());
        if (health.degraded()) {
            out.put("redisError", health.lastError());
        }
        out.put("pendingWrites", log.pendingDecisions() + log.pendingOutcomes());
        out.put("restoring", restoring.contains(city.city()));
        return out;
    }

    /** A figure as JSON shows it: null where there is none yet (NaN before any decision). */
    public static Double finiteOrNull(double v) {
        return Double.isFinite(v) ? v : null;
    }

    private static Double parseOrNull(String v) {
        if (v == null) {
            return null;
        }
        double d = Double.parseDouble(v);
        return Double.isFinite(d) ? d : null;
    }
}
