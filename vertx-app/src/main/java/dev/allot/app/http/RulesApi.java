package dev.allot.app.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.difflib.DiffUtils;
import com.github.difflib.UnifiedDiffUtils;
import dev.allot.app.auth.Identity;
import dev.allot.app.auth.Scope;
import dev.allot.app.decision.CityRuntime;
import dev.allot.app.rules.Examples;
import dev.allot.app.rules.RuleVersion;
import dev.allot.engine.DecisionCodec;
import dev.allot.engine.DecisionRecord;
import dev.allot.engine.replay.Replay;
import dev.allot.rules.CityRules;
import dev.allot.rules.RuleCompiler;
import dev.allot.rules.RuleError;
import dev.allot.rules.GuardrailRules;
import dev.allot.rules.RuleSet;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The rule lifecycle: draft (validated and tested against its examples) -> dry-run on recorded decisions ->
 * approve (by someone other than the author when four-eyes is on) -> activate (every replica within a second) ->
 * roll back; versions listed, shown and diffed. {@code POST /v1/admin/rules/activate} with files stays for
 * scripts: a draft, approved and activated in one call, refused (409) when four-eyes is on.
 */
final class RulesApi {

    private static final Logger LOG = LoggerFactory.getLogger(RulesApi.class);

    /** Recorded decisions a dry-run reads at most. */
    static final int MAX_DRY_RUN = 100_000;

    private final Vertx vertx;
    private final Context context;
    private final HttpVerticle.Services services;
    private final ContractValidator contract;

    RulesApi(Vertx vertx, Context context, HttpVerticle.Services services, ContractValidator contract) {
        this.vertx = vertx;
        this.context = context;
        this.services = services;
        this.contract = contract;
    }

    void mount(Router router, BodyHandler body) {
        router.get("/v1/admin/rules").handler(AdminApi.require(services, Scope.READ)).handler(this::overview);
        router.post("/v1/admin/rules/validate").handler(body).handler(AdminApi.require(services, Scope.RULES_EDIT))
                .handler(contract.check("validateRules")).handler(this::validate);
        router.post("/v1/admin/rules/drafts").handler(body).handler(AdminApi.require(services, Scope.RULES_EDIT))
                .handler(contract.check("saveDraft")).handler(this::draft);
        router.get("/v1/admin/rules/versions").handler(AdminApi.require(services, Scope.READ))
                .handler(this::versions);
        router.get("/v1/admin/rules/versions/:version").handler(AdminApi.require(services, Scope.READ))
                .handler(this::version);
        router.get("/v1/admin/rules/active").handler(AdminApi.require(services, Scope.READ)).handler(this::active);
        router.get("/v1/admin/rules/diff").handler(AdminApi.require(services, Scope.READ)).handler(this::diff);
        router.post("/v1/admin/rules/versions/:version/dry-run").handler(body)
                .handler(AdminApi.require(services, Scope.RULES_EDIT)).handler(contract.check("dryRun"))
                .handler(this::dryRun);
        router.post("/v1/admin/rules/versions/:version/approve")
                .handler(AdminApi.require(services, Scope.RULES_APPROVE)).handler(this::approve);
        router.post("/v1/admin/rules/versions/:version/activate").handler(body)
                .handler(AdminApi.require(services, Scope.RULES_APPROVE)).handler(contract.check("activateVersion"))
                .handler(this::activateVersion);
        router.post("/v1/admin/rules/activate").handler(body).handler(AdminApi.require(services, Scope.RULES_APPROVE))
                .handler(contract.check("activateFiles")).handler(this::activateFiles);
        router.post("/v1/admin/rules/reload").handler(AdminApi.require(services, Scope.RULES_APPROVE))
                .handler(this::reload);
        router.post("/v1/admin/rules/rollback").handler(AdminApi.require(services, Scope.RULES_APPROVE))
                .handler(this::rollback);
    }

    private void overview(RoutingContext ctx) {
        Map<String, Object> out = new LinkedHashMap<>();
        Set<String> versions = new TreeSet<>(services.rules().activeVersions().values());
        out.put("active", versions.size() == 1 ? versions.iterator().next() : null);
        Map<String, Object> cities = new TreeMap<>();
        List<RuleError> lastErrors = new ArrayList<>();
        services.rules().byCity().forEach((city, rules) -> {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("active", rules.active().map(RuleSet::version).orElse(null));
            row.put("versions", rules.versions());
            rules.fallback().ifPresent(f -> row.put("fallbackFrom", f.from()));
            cities.put(city, row);
            rules.lastErrors().stream().filter(e -> !lastErrors.contains(e)).forEach(lastErrors::add);
        });
        out.put("cities", cities);
        out.put("directory", services.rules().byCity().values().iterator().next().directory().toString());
        out.put("lastErrors", errors(lastErrors));
        out.put("fourEyes", services.fourEyes());
        Responses.json(ctx, 200, out);
    }

    /** What a body of files and examples compiles to, for which cities, and how the examples fare. */
    private record Checked(Map<String, String> files, List<String> cities, JsonNode examples,
                           RuleCompiler.Result compiled, List<Examples.Result> results) {
    }

    private Future<Checked> check(JsonNode body) {
        Map<String, String> files = RequestParser.ruleFiles(body, Set.of("files", "examples", "description",
                "cities"));
        List<String> cities = cities(body);
        JsonNode examples = body.get("examples");
        Examples.validate(examples, services.decisions().cities());
        return vertx.executeBlocking(() -> {
            RuleCompiler.Result compiled = services.rules().validate(files, scope(cities));
            List<Examples.Result> results = compiled.ok()
                    ? Examples.run(examples, compiled.ruleSet(), services.decisions().cities()) : List.of();
            return new Checked(files, cities, examples, compiled, results);
        });
    }

    /** The {@code cities} a body names, as given (empty: all). */
    private List<String> cities(JsonNode body) {
        JsonNode node = body == null ? null : body.get("cities");
        if (node == null || node.isNull()) {
            return List.of();
        }
        if (!node.isArray()) {
            throw new ApiException.BadRequest("invalid_request", "cities", "cities must be a list of city names");
        }
        List<String> out = new ArrayList<>();
        node.forEach(c -> out.add(c.asText()));
        scope(out);
        return List.copyOf(new TreeSet<>(out));
    }

    private List<String> scope(List<String> cities) {
        try {
            return services.rules().scope(cities);
        } catch (IllegalArgumentException e) {
            throw new ApiException.BadRequest("invalid_request", "cities", e.getMessage());
        }
    }

    private void validate(RoutingContext ctx) {
        check(RequestParser.parse(ctx.body().buffer())).onSuccess(checked -> {
            if (!checked.compiled().ok()) {
                rejected(ctx, checked.compiled().errors());
                return;
            }
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("valid", true);
            out.put("version", checked.compiled().ruleSet().version());
            out.put("rules", checked.compiled().ruleSet().ruleCount());
            out.put("examples", checked.results());
            out.put("examplesPassed", checked.results().stream().allMatch(Examples.Result::passed));
            Responses.json(ctx, 200, out);
        }).onFailure(ctx::fail);
    }

    private void draft(RoutingContext ctx) {
        JsonNode body = RequestParser.parse(ctx.body().buffer());
        Identity who = AdminApi.who(ctx);
        check(body).compose(checked -> {
            if (!checked.compiled().ok()) {
                return Future.failedFuture(new ApiException.RulesRejected(errors(checked.compiled().errors())));
            }
            String version = checked.compiled().ruleSet().version();
            return services.versions().get(version, context).compose(existing -> {
                if (existing.filter(RuleVersion::approved).filter(v -> !v.cities().equals(checked.cities()))
                        .isPresent()) {
                    // An approval covers the files and the cities they were approved for, nothing wider.
                    return Future.failedFuture(new ApiException.Conflict("approved", "cities", version
                            + " is approved for " + (existing.get().cities().isEmpty() ? "all cities"
                            : existing.get().cities()) + "; other cities need another version"));
                }
                // Same files, same version: the first author stays the author, and an approval stands.
                RuleVersion saved = new RuleVersion(version, checked.files(), checked.cities(),
                        existing.map(RuleVersion::author).orElse(who.name()),
                        existing.map(RuleVersion::createdAt).orElse(now()),
                        body.path("description").asText(existing.map(RuleVersion::description).orElse("")),
                        checked.examples(), checked.results(),
                        existing.map(RuleVersion::approvedBy).orElse(null),
                        existing.map(RuleVersion::approvedAt).orElse(null),
                        existing.map(RuleVersion::activatedBy).orElse(null),
                        existing.map(RuleVersion::activatedAt).orElse(null));
                return services.versions().save(saved, millis(saved.createdAt()), context).map(v -> saved);
            });
        }).onSuccess(saved -> {
            Map<String, Object> out = new LinkedHashMap<>(saved.summary());
            out.put("exampleResults", saved.exampleResults());
            AdminApi.audited(ctx, services, context, 201, "rules.draft", saved.version(), null, saved.summary(), out);
        }).onFailure(ctx::fail);
    }

    private void versions(RoutingContext ctx) {
        int limit = limit(ctx.queryParams().get("limit"), 50, 1000);
        Map<String, String> active = services.rules().activeVersions();
        services.versions().list(limit, context).onSuccess(list -> {
            List<Map<String, Object>> out = new ArrayList<>();
            for (RuleVersion v : list) {
                Map<String, Object> row = new LinkedHashMap<>(v.summary());
                List<String> activeIn = active.entrySet().stream().filter(e -> v.version().equals(e.getValue()))
                        .map(Map.Entry::getKey).toList();
                row.put("active", !activeIn.isEmpty());
                row.put("activeIn", activeIn);
                out.add(row);
            }
            Responses.json(ctx, 200, Map.of("versions", out));
        }).onFailure(ctx::fail);
    }

    private Future<RuleVersion> find(String version) {
        return services.versions().get(version, context).map(v -> v.orElseThrow(() ->
                new ApiException.NotFound("version", "no rule version " + version)));
    }

    private void version(RoutingContext ctx) {
        find(ctx.pathParam("version")).onSuccess(v -> Responses.json(ctx, 200, v)).onFailure(ctx::fail);
    }

    /**
     * {@code GET /v1/admin/rules/active?city=}: the files of the set a city runs on this replica (the first city
     * when none is named), where an editor starts a new draft.
     */
    private void active(RoutingContext ctx) {
        String name = ctx.queryParams().get("city");
        CityRuntime city = services.decisions().city(name != null ? name
                : services.decisions().cities().keySet().iterator().next());
        RuleSet set = services.rules().of(city.city()).flatMap(GuardrailRules::active).orElseThrow(
                () -> new ApiException.Unavailable("no guardrail rules loaded for " + city.city()));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("city", city.city());
        out.put("version", set.version());
        out.put("files", new TreeMap<>(set.sources()));
        Responses.json(ctx, 200, out);
    }

    private void diff(RoutingContext ctx) {
        String from = ctx.queryParams().get("from");
        String to = ctx.queryParams().get("to");
        if (from == null || to == null) {
            throw new ApiException.BadRequest("invalid_request", from == null ? "from" : "to",
                    "diff needs two versions: ?from=<version>&to=<version>");
        }
        find(from).compose(a -> find(to).map(b -> {
            Map<String, Object> files = new TreeMap<>();
            Set<String> names = new TreeSet<>(a.files().keySet());
            names.addAll(b.files().keySet());
            for (String name : names) {
                files.put(name, fileDiff(name, a.files().get(name), b.files().get(name)));
            }
            return Map.of("from", from, "to", to, "files", files);
        })).onSuccess(out -> Responses.json(ctx, 200, out)).onFailure(ctx::fail);
    }

    private static Map<String, Object> fileDiff(String name, String before, String after) {
        String status = before == null ? "added" : after == null ? "removed" : before.equals(after) ? "same"
                : "changed";
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("status", status);
        if (!status.equals("same") && !name.endsWith(".xlsx")) {
            List<String> a = before == null ? List.of() : before.lines().toList();
            List<String> b = after == null ? List.of() : after.lines().toList();
            out.put("diff", String.join("\n", UnifiedDiffUtils.generateUnifiedDiff(name, name, a,
                    DiffUtils.diff(a, b), 3)));
        }
        return out;
    }

    private void dryRun(RoutingContext ctx) {
        JsonNode body = RequestParser.parseOptional(ctx.body().buffer());
        String cityName = !body.hasNonNull("city") ? services.decisions().cities().keySet()
                .iterator().next() : body.get("city").asText();
        CityRuntime city = services.decisions().city(cityName);
        int last = limit(!body.has("last") ? null : body.get("last").asText(), 10_000, MAX_DRY_RUN);
        find(ctx.pathParam("version")).compose(v -> {
            if (!v.cities().isEmpty() && !v.cities().contains(city.city())) {
                return Future.failedFuture(new ApiException.BadRequest("invalid_request", "city", v.version()
                        + " is for " + v.cities() + ", not " + city.city()));
            }
            return Future.succeededFuture(v);
        }).compose(v -> Future.fromCompletionStage(
                        services.store().recentDecisions(city.city(), last), context)
                .compose(entries -> vertx.executeBlocking(() -> {
                    RuleCompiler.Result compiled = services.rules().validate(v.files(), List.of(city.city()));
                    if (!compiled.ok()) {
                        throw new ApiException.RulesRejected(errors(compiled.errors()));
                    }
                    List<DecisionRecord> records = new ArrayList<>(entries.size());
                    entries.forEach(e -> records.add(DecisionCodec.fromStream(e)));
                    return Replay.run(records, new Replay.Candidate(city.setup(), compiled.ruleSet(),
                            OptionalDouble.empty(), Replay.Curves.RECORDED));
                })))
                .onSuccess(report -> Responses.json(ctx, 200, report))
                .onFailure(ctx::fail);
    }

    private void approve(RoutingContext ctx) {
        Identity who = AdminApi.who(ctx);
        find(ctx.pathParam("version")).compose(v -> {
            if (services.fourEyes() && v.author().equals(who.name())) {
                return Future.failedFuture(new ApiException.Conflict("four_eyes", who.name() + " wrote " + v.version()
                        + "; four-eyes approval needs someone else to approve it"));
            }
            if (!v.examplesPassed()) {
                return Future.failedFuture(failingExamples(v));
            }
            String at = now();
            return services.versions().update(v.version(), Map.of("approvedBy", who.name(), "approvedAt", at), context)
                    .map(x -> v);
        }).onSuccess(v -> AdminApi.audited(ctx, services, context, 200, "rules.approve", v.version(),
                        Map.of("approvedBy", String.valueOf(v.approvedBy())), Map.of("approvedBy", who.name()),
                        Map.of("version", v.version(), "approvedBy", who.name())))
                .onFailure(ctx::fail);
    }

    private static ApiException failingExamples(RuleVersion v) {
        List<String> failing = v.exampleResults().stream().filter(r -> !r.passed())
                .map(r -> r.name() + ": " + r.problem()).toList();
        return new ApiException.Conflict("examples_failing", v.version() + " fails " + failing.size()
                + " example(s): " + String.join(" | ", failing));
    }

    private void activateVersion(RoutingContext ctx) {
        List<String> requested = cities(RequestParser.parseOptional(ctx.body().buffer()));
        find(ctx.pathParam("version")).compose(v -> {
            if (!v.cities().isEmpty() && !v.cities().containsAll(scope(requested))) {
                return Future.failedFuture(new ApiException.BadRequest("invalid_request", "cities", v.version()
                        + " was checked for " + v.cities() + " only"));
            }
            if (services.fourEyes() && !v.approved()) {
                return Future.failedFuture(new ApiException.Conflict("not_approved", v.version()
                        + " is not approved; four-eyes approval is on"));
            }
            if (!v.examplesPassed()) {
                return Future.failedFuture(failingExamples(v));
            }
            return Future.succeededFuture(v);
        }).onSuccess(v -> activate(ctx, v.version(), v.files(), scope(requested.isEmpty() ? v.cities() : requested)))
                .onFailure(ctx::fail);
    }

    private void activateFiles(RoutingContext ctx) {
        if (services.fourEyes()) {
            throw new ApiException.Conflict("not_approved", "four-eyes approval is on: submit a draft"
                    + " (POST /v1/admin/rules/drafts), have someone else approve it, then activate the version");
        }
        JsonNode body = RequestParser.parse(ctx.body().buffer());
        Map<String, String> files = RequestParser.ruleFiles(body, Set.of("files", "cities"));
        List<String> cities = cities(body);
        Identity who = AdminApi.who(ctx);
        vertx.executeBlocking(() -> services.rules().validate(files, scope(cities))).compose(compiled -> {
            if (!compiled.ok()) {
                return Future.failedFuture(new ApiException.RulesRejected(errors(compiled.errors())));
            }
            String version = compiled.ruleSet().version();
            // Kept as a version like any other, approved by its activator, so it can be listed, diffed, re-activated.
            return services.versions().get(version, context).compose(existing -> existing.isPresent()
                    ? Future.succeededFuture(version)
                    : services.versions().save(new RuleVersion(version, files, cities, who.name(), now(),
                            "activated directly",
                            null, List.of(), who.name(), now(), null, null), System.currentTimeMillis(), context)
                    .map(x -> version));
        }).onSuccess(version -> activate(ctx, version, files, scope(cities))).onFailure(ctx::fail);
    }

    /**
     * Activates in each of {@code cities} here, stores and announces the set for the other replicas, records and
     * audits the activation. A city that refuses the set (its own fields) stops the activation before any other
     * city changes ({@link CityRules#activate}).
     */
    private void activate(RoutingContext ctx, String version, Map<String, String> files, List<String> cities) {
        Identity who = AdminApi.who(ctx);
        Map<String, String> before = new TreeMap<>(services.rules().activeVersions());
        before.keySet().retainAll(cities);
        vertx.executeBlocking(() -> {
            CityRules.Activation activation = services.rules().activate(files, cities);
            if (!activation.errors().isEmpty()) {
                throw new ApiException.RulesRejected(errors(activation.errors()));
            }
            return activation.activated();
        }).compose(activated -> {
            // The set runs here from now on: a Redis failure below is reported, not turned into a 500 that would
            // leave a live change unaudited. Other replicas get it at their next poll once Redis is back.
            List<Future<Long>> stored = new ArrayList<>();
            activated.forEach((city, set) -> stored.add(Future.fromCompletionStage(
                    services.ruleStore().store(city, set, who.name()), context)));
            return Future.all(stored).map(x -> true)
                    .recover(e -> {
                        LOG.warn("Rule set {} activated here but not stored for the other replicas: {}", version,
                                e.toString());
                        return Future.succeededFuture(false);
                    })
                    .compose(announced -> services.versions().update(version, Map.of("activatedBy", who.name(),
                            "activatedAt", now()), context).map(x -> announced)
                            .recover(e -> Future.succeededFuture(announced)))
                    .map(announced -> Map.entry(activated, announced));
        }).onSuccess(done -> {
            RuleSet any = done.getKey().values().iterator().next();
            AdminApi.audited(ctx, services, context, 200, "rules.activate", String.join(",", cities),
                    Map.of("versions", before), Map.of("version", any.version(), "files", files.keySet()),
                    Map.of("active", any.version(), "cities", cities, "rules", any.ruleCount(),
                            "replicas", done.getValue() ? "all, within a second"
                                    : "this one only until Redis is reachable"));
        }).onFailure(ctx::fail);
    }

    private void reload(RoutingContext ctx) {
        Map<String, String> before = services.rules().activeVersions();
        vertx.executeBlocking(() -> {
            List<RuleError> refused = new ArrayList<>();
            boolean changed = false;
            for (var city : services.rules().byCity().entrySet()) {
                var result = city.getValue().reloadIfChanged();
                refused.addAll(result.errors());
                if (result.activated().isPresent()) {
                    changed = true;
                    services.ruleStore().storeNow(city.getKey(), result.activated().get(), "directory");
                }
            }
            if (!refused.isEmpty()) {
                throw new ApiException.RulesRejected(errors(refused));
            }
            return changed;
        }).onSuccess(changed -> {
            Map<String, String> after = services.rules().activeVersions();
            if (changed) {
                AdminApi.audited(ctx, services, context, 200, "rules.reload", "all", Map.of("versions", before),
                        Map.of("versions", after), Map.of("changed", true, "active", after));
            } else {
                Responses.json(ctx, 200, Map.of("changed", false, "active", after));
            }
        }).onFailure(ctx::fail);
    }

    /** Rolls back each city named by {@code ?city=} (all when absent) to the set it ran before. */
    private void rollback(RoutingContext ctx) {
        String only = ctx.queryParams().get("city");
        List<String> cities = scope(only == null ? List.of() : List.of(only));
        Map<String, String> before = new TreeMap<>(services.rules().activeVersions());
        before.keySet().retainAll(cities);
        Map<String, RuleSet> rolled = new TreeMap<>();
        for (String city : cities) {
            services.rules().of(city).orElseThrow().rollback().ifPresent(r -> rolled.put(city, r));
        }
        if (rolled.isEmpty()) {
            Responses.error(ctx, new ApiException.NotFound(null, "no earlier rule set to roll back to"),
                    services.metrics());
            return;
        }
        String by = "rollback by " + AdminApi.who(ctx).name();
        List<Future<Long>> stored = new ArrayList<>();
        rolled.forEach((city, set) -> stored.add(Future.fromCompletionStage(services.ruleStore().store(city, set, by),
                context)));
        Map<String, String> after = new TreeMap<>();
        rolled.forEach((city, set) -> after.put(city, set.version()));
        Set<String> versions = new TreeSet<>(after.values());
        Future.all(stored).onSuccess(x -> AdminApi.audited(ctx, services, context, 200, "rules.rollback",
                        String.join(",", rolled.keySet()), Map.of("versions", before), Map.of("versions", after),
                        Map.of("active", versions.size() == 1 ? versions.iterator().next() : after)))
                .onFailure(ctx::fail);
    }

    private void rejected(RoutingContext ctx, List<RuleError> errors) {
        Responses.error(ctx, new ApiException.RulesRejected(errors(errors)), services.metrics());
    }

    private String now() {
        return services.clock().instant().toString();
    }

    private static long millis(String instant) {
        return java.time.Instant.parse(instant).toEpochMilli();
    }

    private static int limit(String text, int fallback, int max) {
        if (text == null) {
            return fallback;
        }
        try {
            int n = Integer.parseInt(text);
            if (n >= 1 && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new ApiException.BadRequest("invalid_request", "limit", "expected a whole number in [1, " + max
                + "], got " + text);
    }

    static List<Map<String, Object>> errors(List<RuleError> errors) {
        return errors.stream().map(e -> Map.<String, Object>of("file", e.file(), "line", e.line(),
                "column", e.column(), "message", e.message())).toList();
    }
}
