package dev.allot.app.http;

import dev.allot.app.audit.AuditLog;
import dev.allot.app.auth.Identity;
import dev.allot.app.auth.Scope;
import dev.allot.app.control.CityController;
import dev.allot.app.decision.CityRuntime;
import dev.allot.control.redis.CityStore;
import dev.allot.engine.DecisionCodec;
import dev.allot.engine.DecisionRecord;
import dev.allot.engine.report.DayChart;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;

import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the console reads beyond the admin API: who is signed in, every city at a glance, a city's day as a chart
 * and its model's card; and the console itself, static pages with their charting library and editor served from
 * WebJars (no build chain).
 *
 * <p>A day's chart is folded from the city's decision stream, the record every replica writes: read backwards to
 * the day's start once, then forward from the newest entry seen, so a console polling every few seconds reads
 * each decision once per replica.
 */
final class ConsoleApi {

    /** Where the console's pages are in the jar, and the WebJars they load. */
    static final String PAGES = "console";
    static final String ECHARTS = "META-INF/resources/webjars/echarts/5.3.1/dist";
    static final String CODEMIRROR = "META-INF/resources/webjars/codemirror/5.65.16";

    /** Width of a chart's time bucket. */
    static final long BUCKET_MILLIS = 5 * 60_000L;
    /** Decisions a day's first read takes at most (the newest of the day), and each later read forward. */
    static final int MAX_FIRST_READ = 200_000;
    static final int MAX_READ_FORWARD = 20_000;
    /** How long a chart is served as it is before the stream is read again. */
    static final long FRESH_MILLIS = 1_000;
    /** Charts kept (a city's today and yesterday for a few cities); the least recently read goes first. */
    static final int KEPT = 32;

    private final Vertx vertx;
    private final Context context;
    private final HttpVerticle.Services services;
    private final Map<String, Charted> charts = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Charted> eldest) {
            return size() > KEPT;
        }
    };

    /** A chart and where its reading of the stream stands; touched on this verticle's event loop only. */
    private static final class Charted {
        final DayChart chart;
        final long dayEndMillis;
        String lastId;
        /** The first read stopped at its cap: the day's oldest decisions are not in the chart. */
        boolean truncated;
        /** The last read forward stopped at its cap: newer decisions wait for the next read. */
        boolean behind;
        /** Stream entries this release could not decode. */
        long unreadable;
        /** When the stream was last read: service time (for the day's end), and monotonic time (freshness). */
        long readAt;
        long readAtNanos;
        DayChart.View view;
        Future<Charted> reading;

        Charted(DayChart chart, long dayEndMillis) {
            this.chart = chart;
            this.dayEndMillis = dayEndMillis;
        }
    }

    ConsoleApi(Vertx vertx, Context context, HttpVerticle.Services services) {
        this.vertx = vertx;
        this.context = context;
        this.services = services;
    }

    void mount(Router router) {
        router.get("/v1/admin/whoami").handler(AdminApi.require(services, null)).handler(this::whoami);
        router.get("/v1/admin/cities").handler(AdminApi.require(services, Scope.READ)).handler(this::cities);
        router.get("/v1/admin/cities/:city/day").handler(AdminApi.require(services, Scope.READ)).handler(this::day);
        router.get("/v1/admin/cities/:city/model").handler(AdminApi.require(services, Scope.READ))
                .handler(this::model);
        // The pages hold no data: everything they show comes through the API with the signed-in token.
        router.routeWithRegex("^/console$").handler(ctx -> ctx.redirect("/console/"));
        router.route("/console/vendor/echarts/*").handler(StaticHandler.create(ECHARTS));
        router.route("/console/vendor/codemirror/*").handler(StaticHandler.create(CODEMIRROR));
        // The pages change with each release; the libraries only with their version.
        router.route("/console/*").handler(StaticHandler.create(PAGES).setIndexPage("index.html")
                .setCachingEnabled(false));
    }

    private void whoami(RoutingContext ctx) {
        Identity who = AdminApi.who(ctx);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("name", who.name());
        out.put("scopes", who.scopes().stream().map(Scope::claim).sorted().toList());
        out.put("fourEyes", services.fourEyes());
        Responses.json(ctx, 200, out);
    }

    /** {@code GET /v1/admin/cities}: each city's state, as {@code /v1/cities/{city}/state} gives it. */
    private void cities(RoutingContext ctx) {
        List<Future<Map<String, Object>>> states = new ArrayList<>();
        for (CityRuntime city : services.decisions().cities().values()) {
            states.add(services.controller().state(city, context).map(state -> {
                state.put("rules", HttpVerticle.rulesStatus(services.rules().of(city.city()).orElseThrow()));
                return state;
            }));
        }
        Future.all(states).onSuccess(all -> Responses.json(ctx, 200, Map.of("cities",
                        states.stream().map(Future::result).toList())))
                .onFailure(ctx::fail);
    }

    /** {@code GET /v1/admin/cities/:city/day?day=}: the day's chart (today when no day is named). */
    private void day(RoutingContext ctx) {
        CityRuntime city = services.decisions().city(ctx.pathParam("city"));
        var config = city.setup().config();
        String day = ctx.queryParams().get("day");
        if (day == null) {
            day = config.tradingDay().keyOf(services.clock().instant());
        }
        try {
            LocalDate.parse(day);
        } catch (DateTimeParseException e) {
            throw new ApiException.BadRequest("invalid_request", "day", "day must be a date such as 2026-11-24");
        }
        String theDay = day;
        chart(city, theDay).onSuccess(charted -> {
            DayChart.View view = charted.view;
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("city", city.city());
            out.put("day", theDay);
            out.put("bucketSeconds", BUCKET_MILLIS / 1000);
            out.put("constraint", view.constraint());
            out.put("target", view.target());
            out.put("decisions", view.decisions());
            out.put("truncated", charted.truncated);
            out.put("behind", charted.behind);
            out.put("unreadable", charted.unreadable);
            List<Map<String, Object>> points = new ArrayList<>(view.points().size());
            for (DayChart.Point p : view.points()) {
                Map<String, Object> point = new LinkedHashMap<>();
                point.put("at", p.at().toString());
                point.put("decisions", p.decisions());
                point.put("lambda", CityController.finiteOrNull(p.lambda()));
                point.put("measured", CityController.finiteOrNull(p.measured()));
                point.put("spend", p.spend());
                points.add(point);
            }
            out.put("points", points);
            out.put("levels", view.levels());
            out.put("groups", view.groups());
            out.put("ruleHits", view.ruleHits());
            Responses.json(ctx, 200, out);
        }).onFailure(ctx::fail);
    }

    /**
     * The chart of a city's day, read from the stream where the last read stopped. One read at a time per chart:
     * callers meanwhile share its result, so no stretch of the stream is folded twice.
     */
    private Future<Charted> chart(CityRuntime city, String day) {
        String key = city.city() + "/" + day;
        Charted c = charts.get(key);
        if (c != null && c.reading != null) {
            return c.reading;
        }
        // A chart that has caught up is served as it is for a second; a day long over changes no more (an hour's
        // grace for late flushes after an outage).
        if (c != null && !c.behind && (System.nanoTime() - c.readAtNanos < FRESH_MILLIS * 1_000_000L
                || c.readAt > c.dayEndMillis + 3_600_000L)) {
            return Future.succeededFuture(c);
        }
        Charted charted = c;
        if (charted == null) {
            var config = city.setup().config();
            long start = config.tradingDay().startOfDay(day).toEpochMilli();
            long end = config.tradingDay().startOfDay(LocalDate.parse(day).plusDays(1).toString()).toEpochMilli();
            charted = new Charted(new DayChart(day, start, BUCKET_MILLIS, config.constraint()), end);
            charts.put(key, charted);
        }
        Charted target = charted;
        boolean first = target.lastId == null;
        Future<CityStore.StreamSlice> read;
        if (!first) {
            read = Future.fromCompletionStage(services.store().decisionsAfter(city.city(), target.lastId,
                    MAX_READ_FORWARD), context);
        } else if (services.clock().millis() > target.dayEndMillis + 3_600_000L) {
            // A past day: read back from its end (and the grace), not through everything written since.
            read = Future.fromCompletionStage(services.store().decisionsBackward(city.city(),
                    target.dayEndMillis + 3_600_000L, MAX_FIRST_READ, AdminApi.before(day)), context);
        } else {
            read = Future.fromCompletionStage(services.store().decisionsBackward(city.city(), MAX_FIRST_READ,
                    AdminApi.before(day)), context);
        }
        Future<Charted> reading = read.compose(slice -> vertx.executeBlocking(() -> {
            // Decoded in full before any is folded: a failure leaves the chart as it was, to be read again.
            List<DecisionRecord> records = new ArrayList<>(slice.entries().size());
            int unreadable = 0;
            for (Map<String, String> entry : slice.entries()) {
                try {
                    records.add(DecisionCodec.fromStream(entry));
                } catch (RuntimeException e) {
                    // A record this release cannot read (a newer format during a rolling upgrade): counted, skipped.
                    unreadable++;
                }
            }
            records.forEach(target.chart::add);
            target.unreadable += unreadable;
            return target.chart.view();
        }, false).map(view -> {
            if (slice.newestId() != null) {
                target.lastId = slice.newestId();
            }
            target.truncated |= first && slice.truncated();
            // A read forward that could not take everything: the next call reads on at once.
            target.behind = !first && slice.truncated();
            target.readAt = services.clock().millis();
            target.readAtNanos = System.nanoTime();
            target.view = view;
            return target;
        }));
        target.reading = reading;
        reading.onComplete(ar -> target.reading = null);
        return reading.recover(e -> {
            // A failed first read leaves nothing worth keeping: the next call starts over.
            if (target.view == null) {
                charts.remove(key, target);
            }
            return Future.failedFuture(e);
        });
    }

    /** {@code GET /v1/admin/cities/:city/model}: the active model's card and the city's model swaps. */
    private void model(RoutingContext ctx) {
        CityRuntime city = services.decisions().city(ctx.pathParam("city"));
        var bundle = city.setup().model();
        services.audit().list(new AuditLog.Filter(null, "model.swap", city.city(), null, 50), context)
                .onSuccess(swaps -> {
                    Map<String, Object> out = new LinkedHashMap<>();
                    out.put("city", city.city());
                    out.put("directory", bundle.directory() == null ? null : bundle.directory().toString());
                    out.put("card", bundle.card());
                    out.put("swaps", swaps);
                    Responses.json(ctx, 200, out);
                })
                .onFailure(ctx::fail);
    }

}
