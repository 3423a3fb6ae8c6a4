package dev.allot.app.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.allot.app.control.CityController;
import dev.allot.app.control.ModelSwapper;
import dev.allot.app.control.RuleSetStore;
import dev.allot.app.decision.CityRuntime;
import dev.allot.app.decision.DecisionService;
import dev.allot.app.decision.OutcomeRequest;
import dev.allot.app.decision.OutcomeService;
import dev.allot.app.metrics.Metrics;
import dev.allot.control.PidGains;
import dev.allot.control.redis.CityStore;
import dev.allot.engine.DecisionRequest;
import dev.allot.engine.Json;
import dev.allot.rules.GuardrailRules;
import dev.allot.rules.RuleCompiler;
import dev.allot.rules.RuleError;
import dev.allot.rules.RuleSet;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The HTTP API (DESIGN §4). The routing table is at the top of {@link #router()}; each handler parses, calls
 * one service and renders. Every failure, expected or not, leaves as the JSON error of {@link ApiException}.
 */
public final class HttpVerticle extends VerticleBase {

    private static final Logger LOG = LoggerFactory.getLogger(HttpVerticle.class);

    /** What the handlers need; shared by every instance of this verticle. */
    public record Services(DecisionService decisions, OutcomeService outcomes, CityController controller,
                           GuardrailRules rules, RuleSetStore ruleStore, ModelSwapper models, CityStore store,
                           Metrics metrics, String host, int port, long bodyLimit, String adminToken) {
    }

    private final Services services;
    private HttpServer server;

    public HttpVerticle(Services services) {
        this.services = services;
    }

    @Override
    public Future<?> start() {
        server = vertx.createHttpServer(new HttpServerOptions().setHost(services.host()).setPort(services.port())
                .setCompressionSupported(false));
        return server.requestHandler(router()).listen();
    }

    public int actualPort() {
        return server.actualPort();
    }

    Router router() {
        Router router = Router.router(vertx);
        BodyHandler body = BodyHandler.create(false).setBodyLimit(services.bodyLimit());
        router.post("/v1/decisions").handler(body).handler(this::decide);
        router.post("/v1/outcomes").handler(body).handler(this::outcome);
        router.get("/v1/cities/:city/state").handler(this::state);
        router.get("/health/live").handler(ctx -> json(ctx, 200, Map.of("status", "live")));
        router.get("/health/ready").handler(this::ready);
        router.get("/metrics").handler(this::metrics);

        router.route("/v1/admin/*").handler(this::authorize);
        router.put("/v1/admin/cities/:city/pid").handler(body).handler(this::setGains);
        router.put("/v1/admin/cities/:city/lambda").handler(body).handler(this::setLambda);
        router.put("/v1/admin/cities/:city/lambda0").handler(body).handler(this::setLambda0);
        router.put("/v1/admin/cities/:city/model").handler(body).handler(this::swapModel);
        router.get("/v1/admin/rules").handler(this::ruleVersions);
        router.post("/v1/admin/rules/validate").handler(body).handler(this::validateRules);
        router.post("/v1/admin/rules/activate").handler(body).handler(this::activateRules);
        router.post("/v1/admin/rules/reload").handler(this::reloadRules);
        router.post("/v1/admin/rules/rollback").handler(this::rollbackRules);

        router.route().failureHandler(this::failure);
        router.errorHandler(404, ctx -> error(ctx, new ApiException.NotFound(null,
                "no route " + ctx.request().method() + " " + ctx.request().path())));
        router.errorHandler(405, ctx -> error(ctx, new ApiException.MethodNotAllowed(
                ctx.request().method() + " is not allowed on " + ctx.request().path())));
        return router;
    }

    private void decide(RoutingContext ctx) {
        DecisionRequest request = RequestParser.decision(RequestParser.parse(ctx.body().buffer()));
        boolean explain = "true".equalsIgnoreCase(ctx.queryParams().get("explain"));
        services.decisions().decide(request, explain, context)
                .onSuccess(response -> raw(ctx, 200, response))
                .onFailure(ctx::fail);
    }

    private void outcome(RoutingContext ctx) {
        OutcomeRequest request = RequestParser.outcome(RequestParser.parse(ctx.body().buffer()));
        services.outcomes().record(request, context)
                .onSuccess(status -> json(ctx, 202, Map.of("decisionId", request.decisionId(),
                        "status", status.name().toLowerCase(java.util.Locale.ROOT))))
                .onFailure(ctx::fail);
    }

    private void state(RoutingContext ctx) {
        CityRuntime city = services.decisions().city(ctx.pathParam("city"));
        services.controller().state(city, context)
                .onSuccess(state -> {
                    state.put("rules", rulesStatus());
                    json(ctx, 200, state);
                })
                .onFailure(ctx::fail);
    }

    /**
     * The rules as this replica runs them: version, failures of the active set by rule, and the fallback in force
     * when the replica abandoned a failing set.
     */
    private Map<String, Object> rulesStatus() {
        Map<String, Object> out = new LinkedHashMap<>();
        services.rules().active().ifPresent(set -> {
            out.put("version", set.version());
            out.put("evaluations", set.health().evaluations());
            out.put("failures", set.health().failures());
        });
        services.rules().fallback().ifPresent(f -> {
            Map<String, Object> fallback = new LinkedHashMap<>();
            fallback.put("from", f.from());
            fallback.put("to", f.to());
            fallback.put("at", f.at().toString());
            fallback.put("failures", f.failures());
            out.put("fallback", fallback);
        });
        return out;
    }

    private void ready(RoutingContext ctx) {
        if (services.rules().active().isEmpty()) {
            error(ctx, new ApiException.Unavailable("no guardrail rules loaded: "
                    + services.rules().lastErrors()));
            return;
        }
        Map<String, Object> models = new LinkedHashMap<>();
        services.decisions().cities().forEach((name, c) -> models.put(name, c.setup().model().version()));
        // A fallback keeps the replica ready: it serves the last good set, and taking every replica out of the
        // load balancer for one bad rule set would turn a rules bug into an outage. The body says so.
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("status", services.rules().fallback().isPresent() ? "degraded" : "ready");
        out.put("rulesVersion", services.rules().active().get().version());
        out.put("rules", rulesStatus());
        out.put("models", models);
        json(ctx, 200, out);
    }

    private void metrics(RoutingContext ctx) {
        ctx.response().putHeader("content-type", "text/plain; version=0.0.4; charset=utf-8")
                .end(services.metrics().scrape());
    }

    private void authorize(RoutingContext ctx) {
        String token = services.adminToken();
        if (token == null || token.isEmpty()) {
            error(ctx, new ApiException.Unauthorized(403, "admin API disabled: set ALLOT_ADMIN_TOKEN"));
            return;
        }
        String header = ctx.request().getHeader("Authorization");
        String expected = "Bearer " + token;
        if (header == null || !MessageDigest.isEqual(header.getBytes(StandardCharsets.UTF_8),
                expected.getBytes(StandardCharsets.UTF_8))) {
            error(ctx, new ApiException.Unauthorized(401, "admin calls need 'Authorization: Bearer <token>'"));
            return;
        }
        ctx.next();
    }

    private void setGains(RoutingContext ctx) {
        CityRuntime city = services.decisions().city(ctx.pathParam("city"));
        JsonNode body = RequestParser.parse(ctx.body().buffer());
        PidGains current = city.gains();
        PidGains gains;
        try {
            gains = new PidGains(RequestParser.number(body, "kp", current.kp()),
                    RequestParser.number(body, "ki", current.ki()), RequestParser.number(body, "kd", current.kd()),
                    RequestParser.number(body, "intervalSeconds", current.intervalSeconds()),
                    RequestParser.number(body, "lambdaMin", current.lambdaMin()),
                    RequestParser.number(body, "lambdaMax", current.lambdaMax()));
        } catch (IllegalArgumentException e) {
            String field = e.getMessage().startsWith("pid.") ? e.getMessage().split(" ")[0].substring(4) : null;
            throw new ApiException.BadRequest("invalid_request", field, e.getMessage());
        }
        Future.fromCompletionStage(services.store().setPidFields(city.city(), CityController.gainFields(gains)), context)
                .compose(v -> services.controller().refresh(city, context))
                .onSuccess(v -> json(ctx, 200, Map.of("city", city.city(), "pid", gains)))
                .onFailure(ctx::fail);
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
        Future.fromCompletionStage(services.store().setPidFields(city.city(), Map.of("lambda", Double.toString(lambda),
                        "frozen", freeze ? "1" : "0")), context)
                .compose(v -> Future.fromCompletionStage(services.store().setLambda(city.city(), lambda), context))
                .compose(v -> services.controller().refresh(city, context))
                .onSuccess(v -> json(ctx, 200, Map.of("city", city.city(), "lambda", lambda, "frozen", freeze)))
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
                .onSuccess(v -> json(ctx, 200, Map.of("city", city.city(), "day", day, "lambda0", lambda)))
                .onFailure(ctx::fail);
    }

    private void swapModel(RoutingContext ctx) {
        CityRuntime city = services.decisions().city(ctx.pathParam("city"));
        JsonNode body = ctx.body().length() == 0 ? Json.MAPPER.createObjectNode()
                : RequestParser.parse(ctx.body().buffer());
        Path directory = body.hasNonNull("path") ? Path.of(body.get("path").asText())
                : city.setup().model().directory();
        vertx.executeBlocking(() -> services.models().swap(city, directory))
                .onSuccess(previous -> json(ctx, 200, Map.of("city", city.city(), "previousVersion", previous,
                        "modelVersion", city.setup().model().version())))
                .onFailure(e -> ctx.fail(e instanceof ModelSwapper.Rejected
                        ? new ApiException.ModelRejected(e.getMessage()) : e));
    }

    private void ruleVersions(RoutingContext ctx) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("active", services.rules().active().map(r -> r.version()).orElse(null));
        out.put("versions", services.rules().versions());
        out.put("directory", services.rules().directory().toString());
        out.put("lastErrors", errors(services.rules().lastErrors()));
        json(ctx, 200, out);
    }

    private void validateRules(RoutingContext ctx) {
        Map<String, String> files = RequestParser.ruleFiles(RequestParser.parse(ctx.body().buffer()));
        vertx.executeBlocking(() -> services.rules().validate(files)).onSuccess(result -> {
            if (!result.ok()) {
                error(ctx, new ApiException.RulesRejected(errors(result.errors())));
            } else {
                json(ctx, 200, Map.of("valid", true, "version", result.ruleSet().version(),
                        "rules", result.ruleSet().ruleCount()));
            }
        }).onFailure(ctx::fail);
    }

    private void activateRules(RoutingContext ctx) {
        Map<String, String> files = RequestParser.ruleFiles(RequestParser.parse(ctx.body().buffer()));
        vertx.executeBlocking(() -> services.rules().activate(files)).onSuccess(result -> {
            if (!result.errors().isEmpty()) {
                error(ctx, new ApiException.RulesRejected(errors(result.errors())));
                return;
            }
            RuleSet activated = result.activated().orElseThrow();
            Future.fromCompletionStage(services.ruleStore().store(activated, "admin"), context)
                    .onSuccess(v -> json(ctx, 200, Map.of("active", activated.version(), "rules",
                            activated.ruleCount(), "replicas", "all, within one rule poll")))
                    .onFailure(ctx::fail);
        }).onFailure(ctx::fail);
    }

    private void reloadRules(RoutingContext ctx) {
        vertx.executeBlocking(services.rules()::reloadIfChanged).onSuccess(result -> {
            if (!result.errors().isEmpty()) {
                error(ctx, new ApiException.RulesRejected(errors(result.errors())));
            } else {
                json(ctx, 200, Map.of("changed", result.changed(),
                        "active", services.rules().active().map(r -> r.version()).orElse("")));
            }
        }).onFailure(ctx::fail);
    }

    private void rollbackRules(RoutingContext ctx) {
        services.rules().rollback().ifPresentOrElse(
                r -> Future.fromCompletionStage(services.ruleStore().store(r, "rollback"), context)
                        .onSuccess(v -> json(ctx, 200, Map.of("active", r.version())))
                        .onFailure(ctx::fail),
                () -> error(ctx, new ApiException.NotFound(null, "no earlier rule set to roll back to")));
    }

    private static List<Map<String, Object>> errors(List<RuleError> errors) {
        return errors.stream().map(e -> Map.<String, Object>of("file", e.file(), "line", e.line(),
                "column", e.column(), "message", e.message())).toList();
    }

    private void failure(RoutingContext ctx) {
        Throwable failure = ctx.failure();
        if (failure instanceof ApiException api) {
            error(ctx, api);
        } else if (ctx.statusCode() == 413) {
            error(ctx, new ApiException.PayloadTooLarge(services.bodyLimit()));
        } else if (ctx.statusCode() == 400) {
            error(ctx, new ApiException.BadRequest("invalid_request", null, "malformed request"));
        } else {
            LOG.error("Unexpected failure on {} {}", ctx.request().method(), ctx.request().path(), failure);
            error(ctx, new ApiException.Internal());
        }
    }

    private void error(RoutingContext ctx, ApiException e) {
        services.metrics().rejected(e.status(), e.code());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", e.code());
        body.put("message", e.getMessage());
        body.put("field", e.field());
        body.putAll(e.details());
        if (e.status() == 413 || ctx.request().method() == HttpMethod.POST && !ctx.request().isEnded()) {
            // The rest of the body will not be read: close rather than leave the client mid-upload.
            ctx.response().putHeader("connection", "close");
        }
        json(ctx, e.status(), body);
    }

    private static void json(RoutingContext ctx, int status, Object body) {
        try {
            raw(ctx, status, Json.MAPPER.writeValueAsString(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise response", e);
        }
    }

    private static void raw(RoutingContext ctx, int status, String body) {
        if (ctx.response().ended()) {
            return;
        }
        ctx.response().setStatusCode(status).putHeader("content-type", "application/json; charset=utf-8").end(body);
    }
}
