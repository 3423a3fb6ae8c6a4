package dev.allot.app.http;

import dev.allot.app.audit.AuditLog;
import dev.allot.app.auth.Identities;
import dev.allot.app.auth.Scope;
import dev.allot.app.control.CityController;
import dev.allot.app.control.ModelSwapper;
import dev.allot.app.control.RuleSetStore;
import dev.allot.app.decision.CityRuntime;
import dev.allot.app.decision.DecisionService;
import dev.allot.app.decision.OutcomeRequest;
import dev.allot.app.decision.OutcomeService;
import dev.allot.app.metrics.Metrics;
import dev.allot.app.rules.RuleVersionStore;
import dev.allot.control.redis.CityStore;
import dev.allot.engine.DecisionRequest;
import dev.allot.rules.CityRules;
import dev.allot.rules.GuardrailRules;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.ext.web.handler.TimeoutHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The HTTP API (DESIGN §4). The routing table is at the top of {@link #router()}; each handler parses, calls
 * one service and renders. Every failure, expected or not, leaves as the JSON error of {@link ApiException}.
 */
public final class HttpVerticle extends VerticleBase {

    private static final Logger LOG = LoggerFactory.getLogger(HttpVerticle.class);

    /** What the handlers need; shared by every instance of this verticle. */
    public record Services(DecisionService decisions, OutcomeService outcomes, CityController controller,
                           CityRules rules, RuleSetStore ruleStore, ModelSwapper models, CityStore store,
                           Metrics metrics, String host, int port, HttpLimits limits, Identities identities,
                           AuditLog audit, RuleVersionStore versions, boolean fourEyes, Clock clock) {
    }

    private final Services services;
    private HttpServer server;
    private Router router;
    private ContractValidator contract;

    public HttpVerticle(Services services) {
        this.services = services;
    }

    @Override
    public Future<?> start() {
        // No h2c upgrade: with it, Vert.x creates a connection only once the first request's headers are complete,
        // which leaves a connection that never completes them (slowloris) out of the header deadline's reach.
        // No WebSocket extensions: the API has no WebSocket, and their handler looked at every request's headers.
        server = vertx.createHttpServer(new HttpServerOptions().setHost(services.host()).setPort(services.port())
                .setCompressionSupported(false).setHttp2ClearTextEnabled(false)
                .setPerFrameWebSocketCompressionSupported(false).setPerMessageWebSocketCompressionSupported(false));
        ConnectionGuard guard = new ConnectionGuard(vertx, services.limits().headerTimeoutMillis(), services.metrics());
        return ContractValidator.load(vertx).compose(validator -> {
            contract = validator;
            router = router();
            return server.connectionHandler(guard::opened)
                    .requestHandler(request -> {
                        guard.requestArrived(request);
                        router.handle(request);
                    })
                    .listen();
        });
    }

    /**
     * Stops accepting connections and lets the requests in flight finish (at most {@link #DRAIN_SECONDS}): a
     * decision answered during shutdown is journaled like any other.
     */
    @Override
    public Future<?> stop() {
        return server.shutdown(DRAIN_SECONDS, java.util.concurrent.TimeUnit.SECONDS);
    }

    /** The longest a stopping replica waits for requests in flight (a decision takes milliseconds). */
    static final long DRAIN_SECONDS = 5;

    /** The routes of this verticle's router with a path and methods, as "METHOD /path" (for the contract test). */
    public java.util.List<String> routes() {
        java.util.List<String> out = new java.util.ArrayList<>();
        for (var route : router.getRoutes()) {
            if (route.getPath() == null || route.methods() == null) {
                continue;
            }
            route.methods().forEach(m -> out.add(m.name() + " " + route.getPath()));
        }
        return out;
    }

    public int actualPort() {
        return server.actualPort();
    }

    Router router() {
        Router router = Router.router(vertx);
        // A body trickled in (or a handler stuck) gets 408 rather than holding the request; admin calls may compile
        // rules or replay recorded decisions, and get longer.
        // One route for both, chosen by a prefix test: a regular expression on every path cost more than the
        // routing it guards (docs/benchmarks.md).
        TimeoutHandler requestTimeout = TimeoutHandler.create(services.limits().requestTimeoutMillis(), 408);
        TimeoutHandler adminTimeout = TimeoutHandler.create(services.limits().adminTimeoutMillis(), 408);
        router.route().handler(ctx -> (ctx.normalizedPath().startsWith("/v1/admin/") ? adminTimeout : requestTimeout)
                .handle(ctx));
        BodyHandler body = BodyHandler.create(false).setBodyLimit(services.limits().bodyLimit());
        router.post("/v1/decisions").handler(body).handler(this::decide);
        router.post("/v1/outcomes").handler(body).handler(this::outcome);
        router.get("/v1/cities/:city/state").handler(services.identities().publicState() ? RoutingContext::next
                : AdminApi.require(services, Scope.READ)).handler(this::state);
        router.get("/health/live").handler(ctx -> json(ctx, 200, Map.of("status", "live")));
        router.get("/health/ready").handler(this::ready);
        router.get("/metrics").handler(this::metrics);
        // The contract of this API, and Swagger UI to read and try it.
        router.get("/openapi.yaml").handler(ctx -> ctx.response().putHeader("content-type", "application/yaml")
                .end(ApiContract.YAML));
        router.get("/docs/swagger-initializer.js").handler(ctx -> ctx.response()
                .putHeader("content-type", "application/javascript")
                .end("window.onload = () => { window.ui = SwaggerUIBundle({ url: '/openapi.yaml', dom_id: '#swagger-ui',"
                        + " presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],"
                        + " layout: 'StandaloneLayout' }); };"));
        router.route("/docs/*").handler(StaticHandler.create(ApiContract.SWAGGER_UI));

        new ConsoleApi(vertx, context, services).mount(router);
        new AdminApi(vertx, context, services, contract).mount(router, body);

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
                .onSuccess(response -> Responses.raw(ctx, 200, response))
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
                    state.put("rules", rulesStatus(services.rules().of(city.city()).orElseThrow()));
                    json(ctx, 200, state);
                })
                .onFailure(ctx::fail);
    }

    /**
     * A city's rules as this replica runs them: version, failures of the active set by rule, and the fallback in
     * force when the replica abandoned a failing set.
     */
    static Map<String, Object> rulesStatus(GuardrailRules rules) {
        Map<String, Object> out = new LinkedHashMap<>();
        rules.active().ifPresent(set -> {
            out.put("version", set.version());
            out.put("evaluations", set.health().evaluations());
            out.put("failures", set.health().failures());
        });
        rules.fallback().ifPresent(f -> {
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
        Map<String, Object> rules = new LinkedHashMap<>();
        for (var city : services.rules().byCity().entrySet()) {
            if (city.getValue().active().isEmpty()) {
                error(ctx, new ApiException.Unavailable("no guardrail rules loaded for " + city.getKey() + ": "
                        + city.getValue().lastErrors()));
                return;
            }
            rules.put(city.getKey(), rulesStatus(city.getValue()));
        }
        Map<String, Object> models = new LinkedHashMap<>();
        services.decisions().cities().forEach((name, c) -> models.put(name, c.setup().model().version()));
        // A fallback keeps the replica ready: it serves the last good set, and taking every replica out of the
        // load balancer for one bad rule set would turn a rules bug into an outage. The body says so.
        // A replica without Redis stays ready: it decides with the last λ it knows and journals what it owes, and
        // every replica shares the one Redis, so taking them out of the load balancer would only turn a Redis
        // outage into a decision outage. The body says degraded, and why.
        Map<String, Object> out = new LinkedHashMap<>();
        boolean redisDown = services.controller().redisDegraded();
        out.put("status", services.rules().anyFallback() || redisDown ? "degraded" : "ready");
        out.put("redis", services.controller().redisStatus());
        Set<String> versions = new TreeSet<>(services.rules().activeVersions().values());
        out.put("rulesVersion", versions.size() == 1 ? versions.iterator().next() : services.rules().activeVersions());
        out.put("rules", rules);
        out.put("models", models);
        json(ctx, 200, out);
    }

    private void metrics(RoutingContext ctx) {
        ctx.response().putHeader("content-type", "text/plain; version=0.0.4; charset=utf-8")
                .end(services.metrics().scrape());
    }

    private void failure(RoutingContext ctx) {
        Throwable failure = ctx.failure();
        if (failure instanceof ApiException api) {
            error(ctx, api);
        } else if (ctx.statusCode() == 413) {
            error(ctx, new ApiException.PayloadTooLarge(services.limits().bodyLimit()));
        } else if (ctx.statusCode() == 400) {
            error(ctx, new ApiException.BadRequest("invalid_request", null, "malformed request"));
        } else if (ctx.statusCode() == 408) {
            LOG.info("{} {} not complete within its time limit: answered 408", ctx.request().method(),
                    ctx.request().path());
            error(ctx, new ApiException.RequestTimeout());
        } else if (ctx.response().closed() || !ctx.request().isEnded()) {
            // The client's side of the request failed while its body was read: broken chunked framing, an upload
            // aborted half-way. Its error, not ours: a line at INFO, no stack; answered if the connection is open.
            LOG.info("{} {}: the request body could not be read ({})", ctx.request().method(),
                    ctx.request().path(), failure == null ? "closed" : failure.toString());
            if (!ctx.response().closed()) {
                error(ctx, new ApiException.BadRequest("invalid_request", null, "malformed request body"));
            }
        } else {
            LOG.error("Unexpected failure on {} {}", ctx.request().method(), ctx.request().path(), failure);
            error(ctx, new ApiException.Internal());
        }
    }

    private void error(RoutingContext ctx, ApiException e) {
        Responses.error(ctx, e, services.metrics());
    }

    private static void json(RoutingContext ctx, int status, Object body) {
        Responses.json(ctx, status, body);
    }
}
