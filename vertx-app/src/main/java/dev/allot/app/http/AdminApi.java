package dev.allot.app.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.allot.app.audit.AuditLog;
import dev.allot.app.auth.Identity;
import dev.allot.app.auth.Scope;
import dev.allot.app.control.CityController;
import dev.allot.app.control.ModelSwapper;
import dev.allot.app.decision.CityRuntime;
import dev.allot.control.PidGains;
import dev.allot.control.redis.CityStore;
import dev.allot.engine.whatif.GainSearch;
import dev.allot.engine.whatif.WhatIf;
import dev.allot.engine.DecisionRecord;
import dev.allot.engine.DecisionCodec;
import dev.allot.control.BudgetConstraint;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The admin API: PID, λ and models for ops, the audit trail for everyone who may read; rule sets are
 * {@link RulesApi}'s.
 * Each route names the scope it needs; each change is appended to the {@link AuditLog} with who made it and the
 * state before and after.
 */
final class AdminApi {

    private static final String IDENTITY = "allot.identity";

    private final Vertx vertx;
    private final Context context;
    private final HttpVerticle.Services services;
    private final ContractValidator contract;

    AdminApi(Vertx vertx, Context context, HttpVerticle.Services services, ContractValidator contract) {
        this.vertx = vertx;
        this.context = context;
        this.services = services;
        this.contract = contract;
    }

    /** Body handlers come first (Vert.x requires it); the body limit bounds what an unauthenticated call sends. */
    void mount(Router router, BodyHandler body) {
        router.put("/v1/admin/cities/:city/pid").handler(body).handler(require(services, Scope.OPS))
                .handler(contract.check("setPid"))
                .handler(this::setGains);
        router.put("/v1/admin/cities/:city/lambda").handler(body).handler(require(services, Scope.OPS))
                .handler(contract.check("setLambda"))
                .handler(this::setLambda);
        router.put("/v1/admin/cities/:city/lambda0").handler(body).handler(require(services, Scope.OPS))
                .handler(contract.check("setLambda0"))
                .handler(this::setLambda0);
        router.post("/v1/admin/cities/:city/what-if").handler(body).handler(require(services, Scope.OPS))
                .handler(contract.check("whatIf"))
                .handler(this::whatIf);
        router.post("/v1/admin/cities/:city/suggest-gains").handler(body).handler(require(services, Scope.OPS))
                .handler(contract.check("suggestGains"))
                .handler(this::suggestGains);
        router.put("/v1/admin/cities/:city/model").handler(body).handler(require(services, Scope.OPS))
                .handler(contract.check("swapModel"))
                .handler(this::swapModel);
        new RulesApi(vertx, context, services, contract).mount(router, body);
        router.get("/v1/admin/audit").handler(require(services, Scope.READ)).handler(this::audit);
        // Anything else under /v1/admin still needs a caller, so probing for routes says nothing to strangers.
        router.route("/v1/admin/*").handler(require(services, null));
    }

    /**
     * Lets the request through if its token names an identity holding {@code scope} (any identity when null):
     * 401 without a valid token, 403 with the wrong scope or with no identity configured at all.
     */
    static Handler<RoutingContext> require(HttpVerticle.Services services, Scope scope) {
        return ctx -> {
            if (!services.identities().configured()) {
                Responses.error(ctx, new ApiException.Unauthorized(403, "the admin API is off: set"
                        + " ALLOT_ADMIN_TOKEN or an identities file (--identities)"), services.metrics());
                return;
            }
            services.identities().authenticate(ctx.request().getHeader("Authorization")).onComplete(ar -> {
                if (ar.failed()) {
                    Responses.error(ctx, ar.cause() instanceof ApiException api ? api
                            : new ApiException.Unauthorized(401, "the token is not valid"), services.metrics());
                } else if (scope != null && !ar.result().may(scope)) {
                    Responses.error(ctx, new ApiException.Unauthorized(403, ar.result().name() + " lacks the scope "
                            + scope.claim() + " this call needs"), services.metrics());
                } else {
                    ctx.put(IDENTITY, ar.result());
                    ctx.next();
                }
            });
        };
    }

    static Identity who(RoutingContext ctx) {
        return ctx.get(IDENTITY);
    }

    private void audited(RoutingContext ctx, String action, String target, Object before, Object after,
                         Map<String, Object> body) {
        audited(ctx, services, context, 200, action, target, before, after, body);
    }

    /** Appends the change to the audit trail, then answers with {@code body} and whether the entry was written. */
    static void audited(RoutingContext ctx, HttpVerticle.Services services, Context context, int status,
                        String action, String target, Object before, Object after, Map<String, Object> body) {
        services.audit().append(who(ctx), action, target, before, after, context).onComplete(ar -> {
            Map<String, Object> out = new LinkedHashMap<>(body);
            out.put("audited", ar.succeeded() && ar.result());
            Responses.json(ctx, status, out);
        });
    }

    private void setGains(RoutingContext ctx) {
        CityRuntime city = services.decisions().city(ctx.pathParam("city"));
        JsonNode body = RequestParser.parse(ctx.body().buffer());
        PidGains current = city.gains();
        PidGains gains = gainsFrom(body, current);
        boolean realizedBefore = CityController.realizedSteering(city);
        String steerOn = steerOnFrom(body);
        Map<String, String> fields = new LinkedHashMap<>(CityController.gainFields(gains));
        if (steerOn != null) {
            fields.put("steerOn", steerOn);
        }
        Map<String, Object> before = new LinkedHashMap<>(CityController.gainMap(current));
        before.put("steerOn", realizedBefore ? "realized" : "expected");
        Map<String, Object> after = new LinkedHashMap<>(CityController.gainMap(gains));
        after.put("steerOn", steerOn != null ? steerOn : before.get("steerOn"));
        // Takes effect at the next tick, on whichever replica steers: the ticker reads gains and signal each time.
        Future.fromCompletionStage(services.store().setPidFields(city.city(), fields), context)
                .compose(v -> services.controller().refresh(city, context))
                .onSuccess(v -> audited(ctx, "pid.set", city.city(), before, after,
                        Map.of("city", city.city(), "pid", after)))
                .onFailure(ctx::fail);
    }

    /** The gains a body names, the others as {@code current}; out of range: 400 naming the field. */
    private static PidGains gainsFrom(JsonNode body, PidGains current) {
        try {
            return new PidGains(RequestParser.number(body, "kp", current.kp()),
                    RequestParser.number(body, "ki", current.ki()), RequestParser.number(body, "kd", current.kd()),
                    RequestParser.number(body, "intervalSeconds", current.intervalSeconds()),
                    RequestParser.number(body, "lambdaMin", current.lambdaMin()),
                    RequestParser.number(body, "lambdaMax", current.lambdaMax()));
        } catch (IllegalArgumentException e) {
            String field = e.getMessage().startsWith("pid.") ? e.getMessage().split(" ")[0].substring(4) : null;
            throw new ApiException.BadRequest("invalid_request", field, e.getMessage());
        }
    }

    /** The steering signal a body names (null: none). */
    private static String steerOnFrom(JsonNode body) {
        String steerOn = body.hasNonNull("steerOn") ? body.get("steerOn").asText() : null;
        if (steerOn != null && !steerOn.equals("expected") && !steerOn.equals("realized")) {
            throw new ApiException.BadRequest("invalid_request", "steerOn",
                    "steerOn must be \"expected\" (the model's conversions) or \"realized\" (reported purchases)");
        }
        return steerOn;
    }

    /** Decisions a what-if reads at most: the newest of the city's stream (a day's worth on a busy city is more). */
    static final int MAX_WHAT_IF = 200_000;

    /**
     * {@code POST /v1/admin/cities/:city/what-if}: the city's recorded decisions of a day replayed with proposed
     * controller settings, beside the same day replayed with the settings in force. Reads only; changes nothing.
     */
    private void whatIf(RoutingContext ctx) {
        CityRuntime city = services.decisions().city(ctx.pathParam("city"));
        JsonNode body = RequestParser.parseOptional(ctx.body().buffer());
        PidGains current = city.gains();
        PidGains proposed = gainsFrom(body, current);
        var config = city.setup().config();
        String day = body.hasNonNull("day") ? body.get("day").asText()
                : config.tradingDay().keyOf(services.clock().instant());
        try {
            LocalDate.parse(day);
        } catch (DateTimeParseException e) {
            throw new ApiException.BadRequest("invalid_request", "day", "day must be a date such as 2026-11-24");
        }
        boolean realizedNow = CityController.realizedSteering(city);
        String named = steerOnFrom(body);
        String steerOn = named != null ? named : realizedNow ? "realized" : "expected";
        java.util.OptionalDouble fixed = body.hasNonNull("lambda")
                ? java.util.OptionalDouble.of(RequestParser.number(body, "lambda", null)) : java.util.OptionalDouble.empty();
        if (fixed.isPresent() && (fixed.getAsDouble() < proposed.lambdaMin() || fixed.getAsDouble() > proposed.lambdaMax())) {
            throw new ApiException.BadRequest("invalid_request", "lambda", "lambda must be within [lambdaMin, lambdaMax]"
                    + " = [" + proposed.lambdaMin() + ", " + proposed.lambdaMax() + "]");
        }
        BudgetConstraint constraint = body.hasNonNull("target")
                ? withTarget(config.constraint(), RequestParser.number(body, "target", null)) : config.constraint();
        long seed = body.hasNonNull("seed") ? Math.round(RequestParser.number(body, "seed", null)) : 1;
        Future<java.util.Optional<Double>> lambda0 = Future.fromCompletionStage(services.store().lambda0(city.city(),
                day), context);
        long dayStart = config.tradingDay().startOfDay(day).toEpochMilli();
        Future<CityStore.StreamSlice> entries = dayOfDecisions(city, day, MAX_WHAT_IF);
        Future.all(lambda0, entries).compose(all -> vertx.executeBlocking(() -> {
            List<DecisionRecord> records = new ArrayList<>();
            for (Map<String, String> e : entries.result().entries()) {
                DecisionRecord record = DecisionCodec.fromStream(e);
                if (day.equals(record.day())) {
                    records.add(record);
                }
            }
            if (records.isEmpty()) {
                throw new ApiException.NotFound("day", "no recorded decisions of " + city.city() + " on " + day);
            }
            records.sort(java.util.Comparator.comparingLong(DecisionRecord::timestampMillis));
            double start = lambda0.result().orElse(records.get(0).lambda());
            var rules = services.rules().of(city.city()).flatMap(r -> r.active()).orElseThrow(
                    () -> new ApiException.Unavailable("no guardrail rules loaded"));
            int ticks = (int) Math.ceil(86_400 / current.intervalSeconds());
            WhatIf.Result inForce = WhatIf.run(city.setup(), rules, records, start, new WhatIf.Settings(current,
                    realizedNow, java.util.OptionalDouble.empty(), config.constraint(), seed), dayStart, ticks);
            WhatIf.Result tried = WhatIf.run(city.setup(), rules, records, start, new WhatIf.Settings(proposed,
                    steerOn.equals("realized"), fixed, constraint, seed), dayStart,
                    (int) Math.ceil(86_400 / proposed.intervalSeconds()));
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("city", city.city());
            out.put("day", day);
            out.put("decisions", records.size());
            out.put("truncated", entries.result().truncated());
            out.put("startLambda", start);
            out.put("target", constraint.target());
            out.put("current", whatIfJson(CityController.gainMap(current), realizedNow, inForce));
            Map<String, Object> settings = new LinkedHashMap<>(CityController.gainMap(proposed));
            fixed.ifPresent(l -> settings.put("lambda", l));
            out.put("proposed", whatIfJson(settings, steerOn.equals("realized"), tried));
            return out;
        }, false)).onSuccess(out -> Responses.json(ctx, 200, out)).onFailure(ctx::fail);
    }

    /**
     * {@code POST /v1/admin/cities/:city/suggest-gains}: a Nelder–Mead search for {@code kp} and {@code ki} on the
     * city's recorded days ({@code days}, default today), judged by what-if replays, offered with the what-if of the
     * suggestion beside the gains in force on the latest of those days. Changes nothing.
     */
    private void suggestGains(RoutingContext ctx) {
        CityRuntime city = services.decisions().city(ctx.pathParam("city"));
        if (!SEARCHING.tryAcquire()) {
            throw new ApiException.Conflict("busy", "a gain search is running on this replica; try again when it ends");
        }
        try {
            suggestGains(ctx, city);
        } catch (RuntimeException e) {
            SEARCHING.release();
            throw e;
        }
    }

    /** One gain search at a time per replica: each takes seconds of CPU. */
    private static final java.util.concurrent.Semaphore SEARCHING = new java.util.concurrent.Semaphore(1);
    /** Days a search may read, and decisions per day (a sample: the first of the day in time order). */
    static final int MAX_SEARCH_DAYS = 7;
    static final int MAX_SEARCH_DECISIONS = 50_000;

    private void suggestGains(RoutingContext ctx, CityRuntime city) {
        JsonNode body = RequestParser.parseOptional(ctx.body().buffer());
        var config = city.setup().config();
        List<String> days = new ArrayList<>();
        if (body.hasNonNull("days")) {
            if (!body.get("days").isArray()) {
                throw new ApiException.BadRequest("invalid_request", "days", "days must be a list of dates");
            }
            body.get("days").forEach(d -> {
                if (!days.contains(d.asText())) {
                    days.add(d.asText());
                }
            });
            if (days.isEmpty() || days.size() > MAX_SEARCH_DAYS) {
                throw new ApiException.BadRequest("invalid_request", "days", "days must name 1 to "
                        + MAX_SEARCH_DAYS + " dates");
            }
        } else {
            days.add(config.tradingDay().keyOf(services.clock().instant()));
        }
        for (String d : days) {
            try {
                LocalDate.parse(d);
            } catch (DateTimeParseException e) {
                throw new ApiException.BadRequest("invalid_request", "days", "days must be dates such as 2026-11-24");
            }
        }
        PidGains current = city.gains();
        boolean realized = CityController.realizedSteering(city);
        String earliest = days.stream().min(String::compareTo).orElseThrow();
        List<Future<CityStore.StreamSlice>> slices = List.of(dayOfDecisions(city, earliest,
                MAX_SEARCH_DECISIONS * days.size()));
        List<Future<java.util.Optional<Double>>> starts = days.stream()
                .map(d -> Future.fromCompletionStage(services.store().lambda0(city.city(), d), context)).toList();
        List<Future<?>> reads = new ArrayList<>(starts);
        reads.addAll(slices);
        Future.all(reads).compose(all -> vertx.executeBlocking(() -> {
            Map<String, List<DecisionRecord>> byDay = new LinkedHashMap<>();
            days.forEach(d -> byDay.put(d, new ArrayList<>()));
            for (Future<CityStore.StreamSlice> slice : slices) {
                for (Map<String, String> e : slice.result().entries()) {
                    DecisionRecord record = DecisionCodec.fromStream(e);
                    List<DecisionRecord> list = byDay.get(record.day());
                    if (list != null) {
                        list.add(record);
                    }
                }
            }
            List<GainSearch.Day> recorded = new ArrayList<>();
            for (int i = 0; i < days.size(); i++) {
                List<DecisionRecord> records = byDay.get(days.get(i));
                if (!records.isEmpty()) {
                    records.sort(java.util.Comparator.comparingLong(DecisionRecord::timestampMillis));
                    recorded.add(new GainSearch.Day(records, starts.get(i).result().orElse(records.get(0).lambda())));
                }
            }
            if (recorded.isEmpty()) {
                throw new ApiException.NotFound("days", "no recorded decisions of " + city.city() + " on " + days);
            }
            var rules = services.rules().of(city.city()).flatMap(r -> r.active()).orElseThrow(
                    () -> new ApiException.Unavailable("no guardrail rules loaded"));
            GainSearch.Suggestion s = GainSearch.suggest(city.setup(), rules, recorded, current, realized,
                    config.constraint(), 1);
            GainSearch.Day latest = recorded.get(recorded.size() - 1);
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("city", city.city());
            out.put("days", byDay.entrySet().stream().filter(e -> !e.getValue().isEmpty()).map(Map.Entry::getKey)
                    .toList());
            out.put("suggested", CityController.gainMap(s.gains()));
            out.put("score", s.score());
            out.put("currentScore", s.currentScore());
            out.put("evaluations", s.evaluations());
            out.put("churnWeight", GainSearch.CHURN_WEIGHT);
            // The what-ifs below are of the latest day searched.
            out.put("day", latest.records().get(0).day());
            out.put("decisions", latest.records().size());
            out.put("target", config.constraint().target());
            out.put("current", whatIfJson(CityController.gainMap(current), realized, WhatIf.run(city.setup(), rules,
                    latest.records(), latest.startLambda(), new WhatIf.Settings(current, realized,
                            java.util.OptionalDouble.empty(), config.constraint(), 1))));
            out.put("proposed", whatIfJson(CityController.gainMap(s.gains()), realized, WhatIf.run(city.setup(), rules,
                    latest.records(), latest.startLambda(), new WhatIf.Settings(s.gains(), realized,
                            java.util.OptionalDouble.empty(), config.constraint(), 1))));
            return out;
        }, false)).onComplete(ar -> SEARCHING.release())
                .onSuccess(out -> Responses.json(ctx, 200, out)).onFailure(ctx::fail);
    }

    /**
     * The city's stream back to the start of {@code day} (later days' entries are read and left to the caller's
     * filter), at most {@code max} entries.
     */
    private Future<CityStore.StreamSlice> dayOfDecisions(CityRuntime city, String day, int max) {
        return Future.fromCompletionStage(services.store().decisionsBackward(city.city(), max, before(day)),
                context);
    }

    /** Consecutive entries of earlier days after which a backward read has passed the start of a day. */
    static final int LATE_ENTRIES = 2_000;

    /**
     * Where a backward read of the stream stops for {@code day}: past {@link #LATE_ENTRIES} entries in a row of
     * earlier days. Not at the first one: a replica that flushes the previous day's decisions late (after an
     * outage) interleaves them with the day's, and stopping there would leave the day's older entries unread.
     * Called in stream order, one page after another.
     */
    static java.util.function.Predicate<Map<String, String>> before(String day) {
        int[] earlier = {0};
        return entry -> {
            earlier[0] = dayOf(entry).compareTo(day) < 0 ? earlier[0] + 1 : 0;
            return earlier[0] > LATE_ENTRIES;
        };
    }

    /**
     * A stream entry's day, read from its JSON without parsing it: the check runs on Redis's I/O thread for every
     * entry read. An entry without one (the format before versioning) reads as the oldest possible day.
     */
    static String dayOf(Map<String, String> entry) {
        String json = entry.getOrDefault(DecisionCodec.FIELD, "");
        int at = json.indexOf("\"day\":\"");
        return at < 0 || json.length() < at + 17 ? "" : json.substring(at + 7, at + 17);
    }

    private static Map<String, Object> whatIfJson(Map<String, Object> settings, boolean realized, WhatIf.Result r) {
        Map<String, Object> out = new LinkedHashMap<>();
        Map<String, Object> s = new LinkedHashMap<>(settings);
        s.put("steerOn", realized ? "realized" : "expected");
        out.put("settings", s);
        out.put("endMeasured", CityController.finiteOrNull(r.endMeasured()));
        out.put("endDeviation", CityController.finiteOrNull(r.endDeviation()));
        out.put("endLambda", r.endLambda());
        out.put("revenue", r.revenue());
        out.put("purchases", r.purchases());
        List<Map<String, Object>> path = new ArrayList<>();
        for (WhatIf.Point p : r.path()) {
            Map<String, Object> point = new LinkedHashMap<>();
            point.put("at", java.time.Instant.ofEpochMilli(p.timestampMillis()).toString());
            point.put("lambda", p.lambda());
            point.put("measured", CityController.finiteOrNull(p.measured()));
            path.add(point);
        }
        out.put("path", path);
        return out;
    }


    /** The city's kind of budget with another target. */
    private static BudgetConstraint withTarget(BudgetConstraint constraint, double target) {
        try {
            if (constraint instanceof BudgetConstraint.AveragePriceFloor) {
                return new BudgetConstraint.AveragePriceFloor(target);
            }
            if (constraint instanceof BudgetConstraint.CostPerArrival) {
                return new BudgetConstraint.CostPerArrival(target);
            }
            return new BudgetConstraint.SpendPerArrival(target);
        } catch (IllegalArgumentException e) {
            throw new ApiException.BadRequest("invalid_request", "target", e.getMessage());
        }
    }

    private void setLambda(RoutingContext ctx) {
        CityRuntime city = services.decisions().city(ctx.pathParam("city"));
        JsonNode body = RequestParser.parse(ctx.body().buffer());
        PidGains gains = city.gains();
        double lambda = RequestParser.number(body, "lambda", city.lambda());
        if (lambda < gains.lambdaMin() || lambda > gains.lambdaMax()) {
            throw new ApiException.BadRequest("invalid_request", "lambda", "lambda must be within [lambdaMin, "
                    + "lambdaMax] = [" + gains.lambdaMin() + ", " + gains.lambdaMax() + "]");
        }
        boolean freeze = RequestParser.bool(body, "freeze", city.frozen());
        // A freeze may end by itself: ops hold λ through an incident and the controller takes over after it.
        Double expiresIn = body.hasNonNull("expiresInSeconds") ? RequestParser.number(body, "expiresInSeconds", null)
                : null;
        if (expiresIn != null && (!freeze || !(expiresIn > 0) || expiresIn > 7 * 86_400)) {
            throw new ApiException.BadRequest("invalid_request", "expiresInSeconds", "expiresInSeconds applies to a"
                    + " freeze and must be in (0, 604800]");
        }
        long until = expiresIn == null ? 0 : services.clock().millis() + Math.round(expiresIn * 1000);
        if (expiresIn == null && freeze && !body.has("freeze") && city.frozen()) {
            // Moving λ within a freeze keeps the freeze's end.
            until = Long.parseLong(city.pidFields().getOrDefault("frozenUntil", "0").isEmpty() ? "0"
                    : city.pidFields().getOrDefault("frozenUntil", "0"));
        }
        long frozenUntil = until;
        Map<String, Object> before = Map.of("lambda", city.lambda(), "frozen", city.frozen());
        Map<String, Object> after = new LinkedHashMap<>();
        after.put("lambda", lambda);
        after.put("frozen", freeze);
        if (frozenUntil > 0) {
            after.put("frozenUntil", java.time.Instant.ofEpochMilli(frozenUntil).toString());
        }
        // "output" cleared: the next step takes this λ over (rebase), whether or not it equals the last output.
        Future.fromCompletionStage(services.store().setPidFields(city.city(), Map.of("lambda", Double.toString(lambda),
                        "frozen", freeze ? "1" : "0", "frozenUntil", Long.toString(frozenUntil), "output", "")), context)
                .compose(v -> Future.fromCompletionStage(services.store().setLambda(city.city(), lambda), context))
                .compose(v -> services.controller().refresh(city, context))
                .onSuccess(v -> {
                    Map<String, Object> response = new LinkedHashMap<>(after);
                    response.put("city", city.city());
                    audited(ctx, "lambda.set", city.city(), before, after, response);
                })
                .onFailure(ctx::fail);
    }

    private void setLambda0(RoutingContext ctx) {
        CityRuntime city = services.decisions().city(ctx.pathParam("city"));
        JsonNode body = RequestParser.parse(ctx.body().buffer());
        String day = body.path("day").asText("");
        try {
            LocalDate.parse(day);
        } catch (DateTimeParseException e) {
            throw new ApiException.BadRequest("invalid_request", "day", "day must be a date such as 2026-11-24");
        }
        double lambda = RequestParser.number(body, "lambda", null);
        PidGains gains = city.gains();
        if (lambda < gains.lambdaMin() || lambda > gains.lambdaMax()) {
            throw new ApiException.BadRequest("invalid_request", "lambda", "lambda must be within [lambdaMin, "
                    + "lambdaMax] = [" + gains.lambdaMin() + ", " + gains.lambdaMax() + "]");
        }
        Future.fromCompletionStage(services.store().setLambda0(city.city(), day, lambda), context)
                .onSuccess(v -> audited(ctx, "lambda0.set", city.city(), null, Map.of("day", day, "lambda0", lambda),
                        Map.of("city", city.city(), "day", day, "lambda0", lambda)))
                .onFailure(ctx::fail);
    }

    private void swapModel(RoutingContext ctx) {
        CityRuntime city = services.decisions().city(ctx.pathParam("city"));
        JsonNode body = RequestParser.parseOptional(ctx.body().buffer());
        Path directory = body.hasNonNull("path") ? Path.of(body.get("path").asText())
                : city.setup().model().directory();
        vertx.executeBlocking(() -> services.models().swap(city, directory))
                .onSuccess(previous -> audited(ctx, "model.swap", city.city(), Map.of("modelVersion", previous),
                        Map.of("modelVersion", city.setup().model().version(), "path", directory.toString()),
                        Map.of("city", city.city(), "previousVersion", previous,
                                "modelVersion", city.setup().model().version())))
                .onFailure(e -> ctx.fail(e instanceof ModelSwapper.Rejected
                        ? new ApiException.ModelRejected(e.getMessage()) : e));
    }

    private void audit(RoutingContext ctx) {
        var q = ctx.queryParams();
        Instant since = null;
        if (q.get("since") != null) {
            try {
                since = Instant.parse(q.get("since"));
            } catch (DateTimeParseException e) {
                throw new ApiException.BadRequest("invalid_request", "since",
                        "since must be an instant such as 2026-11-25T08:00:00Z");
            }
        }
        int limit;
        try {
            limit = q.get("limit") == null ? 100 : Integer.parseInt(q.get("limit"));
        } catch (NumberFormatException e) {
            limit = -1;
        }
        if (limit < 1 || limit > 1000) {
            throw new ApiException.BadRequest("invalid_request", "limit", "limit must be a whole number in [1, 1000]");
        }
        services.audit().list(new AuditLog.Filter(q.get("who"), q.get("action"), q.get("target"), since, limit),
                        context)
                .onSuccess(entries -> Responses.json(ctx, 200, Map.of("entries", entries)))
                .onFailure(ctx::fail);
    }
}
