package dev.allot.app;

import dev.allot.app.audit.AuditLog;
import dev.allot.app.auth.Identities;
import dev.allot.app.control.CityController;
import dev.allot.app.control.ControlSnapshot;
import dev.allot.app.control.ControlVerticle;
import dev.allot.app.control.ModelSwapper;
import dev.allot.app.control.RedisHealth;
import dev.allot.app.control.RuleSetStore;
import dev.allot.app.decision.CityRuntime;
import dev.allot.app.decision.DecisionService;
import dev.allot.app.decision.OutcomeService;
import dev.allot.app.http.HttpLimits;
import dev.allot.app.http.HttpVerticle;
import dev.allot.app.metrics.Metrics;
import dev.allot.app.rules.RuleVersionStore;
import dev.allot.control.PidTicker;
import dev.allot.control.redis.CityStore;
import dev.allot.control.journal.Journal;
import dev.allot.control.redis.RedisLink;
import dev.allot.control.GrantsView;
import dev.allot.control.redis.GrantsFeed;
import dev.allot.control.redis.WriteBehindLog;
import dev.allot.engine.CitySetup;
import dev.allot.engine.config.CityConfig;
import dev.allot.engine.config.ConfigException;
import dev.allot.engine.config.ConfigLoader;
import dev.allot.rules.CityRules;
import dev.allot.rules.RuleVocabulary;
import dev.allot.rules.RuleHealth;
import dev.allot.scoring.ModelBundle;
import dev.allot.scoring.ModelFormatException;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * Wiring: loads cities, models and rules (on a worker thread), connects to Redis, and deploys the HTTP and
 * control verticles. {@code serve} and the integration tests start the service the same way.
 */
public final class AllotService {

    private static final Logger LOG = LoggerFactory.getLogger(AllotService.class);

    /**
     * @param httpInstances HTTP verticle instances (one per event loop is the usual choice)
     * @param flushMillis   how often the write-behind log goes to Redis
     * @param refreshMillis how often a replica re-reads lambda and totals
     * @param rulesPollMillis how often the rule directory is checked for changes (0: never)
     * @param rulePolicy    when a failing rule set is abandoned for the last good one
     * @param identitiesFile named tokens, scopes and JWT verification; null for {@code adminToken} alone
     * @param fourEyes      rule sets need approval by someone other than their author before activation
     * @param maxPendingWrites decisions and outcomes that may wait in memory for Redis (about 4 KB each)
     * @param dataDir       the journal of writes owed to Redis and the control snapshot (a volume in Kubernetes)
     * @param maxJournalBytes writes that may wait for Redis on disk; past it new decisions get 503
     * @param journalRetainBytes journal kept once applied: what a Redis that lost its data gets back
     * @param streamRetentionDays days a city's decision stream keeps
     * @param grantsView   grants of the last week the replica keeps in memory (21 bytes each): past it, the users
     *                     whose grants it forgot are counted by Redis
     */
    public record Settings(String host, int port, String redisUrl, Path configDir, Path rulesDir, HttpLimits http,
                           String adminToken, int httpInstances, long flushMillis, long refreshMillis,
                           long rulesPollMillis, Clock clock, RuleHealth.Policy rulePolicy,
                           Path identitiesFile, boolean fourEyes, int maxPendingWrites, Path dataDir,
                           long maxJournalBytes, long journalRetainBytes, int streamRetentionDays,
                           int grantsView) {

        public static Settings defaults(String redisUrl) {
            return new Settings("0.0.0.0", 8080, redisUrl, Path.of("config", "cities"), Path.of("rules", "guardrails"),
                    HttpLimits.DEFAULT, null, Math.max(1, Runtime.getRuntime().availableProcessors()), 20, 500, 2_000,
                    Clock.systemUTC(), RuleHealth.Policy.DEFAULT, null, false,
                    WriteBehindLog.Settings.defaults().maxPending(), Path.of("data"),
                    Journal.Settings.defaults(Path.of("data")).maxUnappliedBytes(),
                    Journal.Settings.defaults(Path.of("data")).retainBytes(), 8, DEFAULT_GRANTS_VIEW);
        }

        /** Bytes of writes that may wait for Redis in the journal before new decisions are refused (503). */
        public Settings withMaxJournalBytes(long maxJournalBytes) {
            return with(b -> b.maxJournalBytes = maxJournalBytes);
        }

        /** Bytes of journal kept after Redis confirmed them, to restore a Redis that comes back empty. */
        public Settings withJournalRetainBytes(long bytes) {
            return with(b -> b.journalRetainBytes = bytes);
        }

        /** Grants of the last week this replica keeps in memory, to count users' coupons without asking Redis. */
        public Settings withGrantsView(int grants) {
            return with(b -> b.grantsView = grants);
        }

        /** Days each city's decision stream keeps: what exports, training and rule dry-runs can read back. */
        public Settings withStreamRetentionDays(int days) {
            return with(b -> b.streamRetentionDays = days);
        }

        /** Where the journal and the control snapshot live: the replica's own volume. */
        public Settings withDataDir(Path dataDir) {
            return with(b -> b.dataDir = dataDir);
        }

        public Settings withPort(int port) {
            return with(b -> b.port = port);
        }

        public Settings withHost(String host) {
            return with(b -> b.host = host);
        }

        public Settings withDirectories(Path configDir, Path rulesDir) {
            return with(b -> {
                b.configDir = configDir;
                b.rulesDir = rulesDir;
            });
        }

        public Settings withAdminToken(String token) {
            return with(b -> b.adminToken = token);
        }

        public Settings withTimers(long flushMillis, long refreshMillis, long rulesPollMillis) {
            return with(b -> {
                b.flushMillis = flushMillis;
                b.refreshMillis = refreshMillis;
                b.rulesPollMillis = rulesPollMillis;
            });
        }

        public Settings withClock(Clock clock) {
            return with(b -> b.clock = clock);
        }

        /** Decisions and outcomes that may wait in memory for Redis before new ones are refused with 503. */
        public Settings withMaxPendingWrites(int maxPendingWrites) {
            return with(b -> b.maxPendingWrites = maxPendingWrites);
        }

        /** Whether a rule set needs an approver other than its author before it may be activated. */
        public Settings withFourEyes(boolean fourEyes) {
            return with(b -> b.fourEyes = fourEyes);
        }

        /** Named tokens and JWT settings (see {@link Identities}); null for the admin token alone. */
        public Settings withIdentities(Path identitiesFile) {
            return with(b -> b.identitiesFile = identitiesFile);
        }

        /** When a rule set fails often enough that the replica falls back to the last good one. */
        public Settings withRulePolicy(RuleHealth.Policy rulePolicy) {
            return with(b -> b.rulePolicy = rulePolicy);
        }

        public Settings withBodyLimit(long bodyLimit) {
            return withHttp(http.withBodyLimit(bodyLimit));
        }

        public Settings withHttp(HttpLimits http) {
            return with(b -> b.http = http);
        }

        /** A copy with {@code change} applied: one place that lists every field, whatever the wither. */
        private Settings with(Consumer<Copy> change) {
            Copy b = new Copy(this);
            change.accept(b);
            return new Settings(b.host, b.port, b.redisUrl, b.configDir, b.rulesDir, b.http, b.adminToken,
                    b.httpInstances, b.flushMillis, b.refreshMillis, b.rulesPollMillis, b.clock, b.rulePolicy,
                    b.identitiesFile, b.fourEyes, b.maxPendingWrites, b.dataDir, b.maxJournalBytes,
                    b.journalRetainBytes, b.streamRetentionDays, b.grantsView);
        }

        /** The fields of a settings being copied, open to change. */
        private static final class Copy {
            String host;
            int port;
            String redisUrl;
            Path configDir;
            Path rulesDir;
            HttpLimits http;
            String adminToken;
            int httpInstances;
            long flushMillis;
            long refreshMillis;
            long rulesPollMillis;
            Clock clock;
            RuleHealth.Policy rulePolicy;
            Path identitiesFile;
            boolean fourEyes;
            int maxPendingWrites;
            Path dataDir;
            long maxJournalBytes;
            long journalRetainBytes;
            int streamRetentionDays;
            int grantsView;

            Copy(Settings s) {
                host = s.host;
                port = s.port;
                redisUrl = s.redisUrl;
                configDir = s.configDir;
                rulesDir = s.rulesDir;
                http = s.http;
                adminToken = s.adminToken;
                httpInstances = s.httpInstances;
                flushMillis = s.flushMillis;
                refreshMillis = s.refreshMillis;
                rulesPollMillis = s.rulesPollMillis;
                clock = s.clock;
                rulePolicy = s.rulePolicy;
                identitiesFile = s.identitiesFile;
                fourEyes = s.fourEyes;
                maxPendingWrites = s.maxPendingWrites;
                dataDir = s.dataDir;
                maxJournalBytes = s.maxJournalBytes;
                journalRetainBytes = s.journalRetainBytes;
                streamRetentionDays = s.streamRetentionDays;
                grantsView = s.grantsView;
            }
        }
    }

    /** 2^21 grants, 44 MB: a week of a large city's coupons (raise it for several such cities). */
    public static final int DEFAULT_GRANTS_VIEW = 1 << 21;

    /** How long a stopping replica waits for Redis to take what it owes; the rest stays in the journal. */
    static final Duration STOP_FLUSH_WAIT = Duration.ofSeconds(5);
    /** How long a starting replica waits for Redis before it serves degraded. */
    static final Duration FIRST_CONNECT_WAIT = Duration.ofSeconds(2);

    private final Vertx vertx;
    private final RedisLink redis;
    private final WriteBehindLog log;
    private final List<String> deployments;
    private final DecisionService decisions;
    private final OutcomeService outcomes;
    private final CityController controller;
    private final CityRules rules;
    private final RuleSetStore ruleStore;
    private final ModelSwapper models;
    private final Metrics metrics;
    private final int port;
    private final HttpVerticle http;

    private AllotService(Vertx vertx, RedisLink redis, WriteBehindLog log, List<String> deployments, DecisionService decisions, OutcomeService outcomes,
                         CityController controller, CityRules rules, RuleSetStore ruleStore,
                         ModelSwapper models, Metrics metrics, int port, HttpVerticle http) {
        this.vertx = vertx;
        this.redis = redis;
        this.log = log;
        this.deployments = deployments;
        this.decisions = decisions;
        this.outcomes = outcomes;
        this.controller = controller;
        this.rules = rules;
        this.ruleStore = ruleStore;
        this.models = models;
        this.metrics = metrics;
        this.port = port;
        this.http = http;
    }

    /** Loaded on a worker: files, models (with their native check) and rule compilation block. */
    private record Loaded(Map<String, CityRuntime> cities, CityRules rules, RedisLink redis, WriteBehindLog log,
                          ControlSnapshot snapshot) {
        /** For a start that fails after loading: the journal's lock is given back and Redis is let go. */
        void release() {
            log.close(Duration.ZERO);
            redis.close();
        }
    }

    public static Future<AllotService> start(Vertx vertx, Settings settings) {
        return vertx.executeBlocking(() -> load(settings)).compose(loaded -> {
            Future<AllotService> deployed;
            try {
                deployed = deploy(vertx, settings, loaded);
            } catch (RuntimeException e) {
                deployed = Future.failedFuture(e);
            }
            // A start that fails after loading gives the journal's lock back and lets Redis go, so a retry in the
            // same process (or a test) can open them again.
            return deployed.recover(error -> vertx.executeBlocking(() -> {
                loaded.release();
                return null;
            }).transform(ar -> Future.failedFuture(error)));
        });
    }

    private static Loaded load(Settings settings) {
        Map<String, CityRuntime> cities = new LinkedHashMap<>();
        for (CityConfig config : ConfigLoader.loadCities(settings.configDir())) {
            ModelBundle model;
            try {
                model = ModelBundle.load(config.model());
            } catch (ModelFormatException e) {
                throw new ConfigException("city " + config.city() + ": " + e.getMessage(), e);
            }
            List<Double> trainedLadder = model.card().ladder();
            if (!trainedLadder.isEmpty() && !trainedLadder.equals(boxed(config.ladder().coupons()))) {
                LOG.warn("City {}: model {} was trained on ladder {}, city uses {}", config.city(), model.version(),
                        trainedLadder, boxed(config.ladder().coupons()));
            }
            cities.put(config.city(), new CityRuntime(CitySetup.of(config, model)));
            LOG.info("City {}: model {} ({} trees), ladder {}", config.city(), model.version(),
                    model.evaluator().trees(), config.ladder());
        }
        // Each city checks the rules against the fields it declares.
        Map<String, RuleVocabulary> vocabularies = new TreeMap<>();
        cities.forEach((name, city) -> vocabularies.put(name, city.setup().ruleVocabulary()));
        CityRules rules = new CityRules(settings.rulesDir(), vocabularies, settings.rulePolicy());
        for (var city : rules.byCity().entrySet()) {
            var loaded = city.getValue().reloadIfChanged();
            if (city.getValue().active().isEmpty()) {
                throw new ConfigException("guardrail rules in " + settings.rulesDir().toAbsolutePath()
                        + " are refused for city " + city.getKey() + ": " + loaded.errors());
            }
        }
        ControlSnapshot snapshot = new ControlSnapshot(settings.dataDir().resolve("control.json"));
        snapshot.restoreInto(cities.values(), settings.clock().millis());
        Journal journal;
        try {
            journal = Journal.open(Journal.Settings.defaults(settings.dataDir().resolve("journal"))
                    .withMaxUnappliedBytes(settings.maxJournalBytes()).withRetainBytes(settings.journalRetainBytes()));
        } catch (IOException e) {
            throw new ConfigException("cannot open the journal: " + e.getMessage(), e);
        }
        RedisLink redis;
        try {
            redis = RedisLink.connect(settings.redisUrl(), Duration.ofMillis(250));
        } catch (IllegalArgumentException e) {
            closeQuietly(journal);
            throw new ConfigException(e.getMessage(), e);
        }
        try {
            redis.connected().get(FIRST_CONNECT_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            // Serving matters more than Redis: decisions go on with the snapshot's λ (else the day's λ₀), writes
            // wait in the journal, and readiness says degraded until Redis is reached.
            LOG.warn("Redis at {} not reached in {} s: serving degraded until it is", settings.redisUrl(),
                    FIRST_CONNECT_WAIT.toSeconds());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            LOG.warn("Redis at {}: {}", settings.redisUrl(), e.getCause().toString());
        }
        // Built here, on the worker: it reads the journal's backlog, which may be large.
        WriteBehindLog log;
        try {
            log = new WriteBehindLog(redis, WriteBehindLog.Settings.defaults()
                    .withMaxPending(settings.maxPendingWrites()).withStreamRetentionDays(settings.streamRetentionDays()),
                    journal);
        } catch (RuntimeException e) {
            closeQuietly(journal);
            redis.close();
            throw e;
        }
        return new Loaded(cities, rules, redis, log, snapshot);
    }

    private static void closeQuietly(Journal journal) {
        try {
            journal.close();
        } catch (IOException e) {
            LOG.warn("Closing the journal: {}", e.toString());
        }
    }

    private static List<Double> boxed(double[] values) {
        List<Double> list = new ArrayList<>();
        for (double v : values) {
            list.add(v);
        }
        return list;
    }

    private static Future<AllotService> deploy(Vertx vertx, Settings settings, Loaded loaded) {
        Metrics metrics = new Metrics();
        RedisHealth health = new RedisHealth();
        CityStore store = new CityStore(loaded.redis());
        WriteBehindLog log = loaded.log();
        GrantsFeed grants = new GrantsFeed(loaded.redis(), new GrantsView(settings.grantsView(),
                DecisionService.HISTORY_WINDOW_MILLIS),
                loaded.cities().keySet(), GrantsFeed.Settings.defaults()).start();
        metrics.functionCounter("allot.history.counts", "source", "view", grants, GrantsFeed::answeredFromView);
        metrics.functionCounter("allot.history.counts", "source", "redis", grants, GrantsFeed::leftToRedis);
        loaded.cities().keySet().forEach(city -> metrics.gauge("allot.history.view.current", city,
                () -> grants.current(city) ? 1 : 0));
        DecisionService decisions = new DecisionService(loaded.cities(), loaded.rules(), store, log, grants, metrics,
                health, settings.clock());
        OutcomeService outcomes = new OutcomeService(decisions, store, log, metrics, health, settings.clock());
        PidTicker ticker = new PidTicker(store, replicaId());
        CityController controller = new CityController(store, log, ticker, health, metrics, settings.clock());
        loaded.cities().values().forEach(c -> metrics.gauge("allot.lambda", c.city(), c::lambda));
        metrics.gauge("allot.writebehind.pending", () -> log.pendingDecisions() + log.pendingOutcomes());
        metrics.gauge("allot.journal.unapplied.bytes", () -> log.journal().unappliedBytes());
        metrics.gauge("allot.journal.corrupt.records", () -> log.journal().corruptRecords());
        metrics.gauge("allot.redis.degraded", () -> health.degraded() ? 1 : 0);
        loaded.rules().byCity().forEach((city, rules) -> {
            metrics.gauge("allot.rules.fallback", city, () -> rules.fallback().isPresent() ? 1 : 0);
            metrics.gauge("allot.rules.evaluation.failures", city,
                    () -> rules.active().map(r -> r.health().failureCount()).orElse(0L));
        });

        ModelSwapper models = new ModelSwapper(loaded.cities().values());
        RuleSetStore ruleStore = new RuleSetStore(loaded.redis());
        // A set stored by another replica is announced: apply it now (a worker compiles it), not at the next poll;
        // and when Redis is first reached (a degraded start), whatever is stored there.
        Runnable applyStored = () -> vertx.executeBlocking(() -> {
            ruleStore.applyIfNew(loaded.rules());
            return null;
        }, false);
        loaded.redis().subscribe(RuleSetStore.CHANNEL, version -> applyStored.run());
        loaded.redis().connected().thenRun(applyStored);
        // A replica that writes the control state back to a Redis that lost it stores its rule set there too.
        controller.onDataLoss(city -> vertx.executeBlocking(() -> {
            loaded.rules().of(city.city()).flatMap(r -> r.active())
                    .ifPresent(active -> ruleStore.storeNow(city.city(), active, "restored"));
            return null;
        }, false));
        Identities identities = Identities.load(vertx, settings.adminToken(), settings.identitiesFile());
        AuditLog audit = new AuditLog(loaded.redis(), settings.clock(), metrics);
        HttpVerticle.Services services = new HttpVerticle.Services(decisions, outcomes, controller, loaded.rules(),
                ruleStore, models, store, metrics, settings.host(), settings.port(), settings.http(),
                identities, audit, new RuleVersionStore(loaded.redis()), settings.fourEyes(),
                settings.clock());
        List<HttpVerticle> https = new ArrayList<>();
        List<String> deployments = new ArrayList<>();
        return vertx.deployVerticle(new ControlVerticle(controller, loaded.cities().values(), settings.flushMillis(),
                        settings.refreshMillis(), loaded.snapshot()))
                .compose(id -> {
                    deployments.add(id);
                    return vertx.deployVerticle(() -> {
                        HttpVerticle v = new HttpVerticle(services);
                        synchronized (https) {
                            https.add(v);
                        }
                        return v;
                    }, new DeploymentOptions().setInstances(settings.httpInstances()));
                })
                .map(id -> {
                    deployments.add(id);
                    if (settings.rulesPollMillis() > 0) {
                        // Rule files and model directories: both re-read on a worker when their files change.
                        vertx.setPeriodic(settings.rulesPollMillis(), t -> vertx.executeBlocking(() -> {
                            pollFiles(loaded.rules(), ruleStore, models);
                            return null;
                        }, false));
                    }
                    int port = https.get(0).actualPort();
                    LOG.info("Allot listening on {}:{} ({} HTTP verticles, Redis {})", settings.host(), port,
                            https.size(), settings.redisUrl());
                    return new AllotService(vertx, loaded.redis(), log, deployments, decisions, outcomes, controller,
                            loaded.rules(), ruleStore, models, metrics, port, https.get(0));
                })
                .recover(error -> {
                    // A port in use, a verticle that failed to start: undeploy what started.
                    Future<Void> undeployed = Future.succeededFuture();
                    for (String id : deployments) {
                        undeployed = undeployed.eventually(() -> vertx.undeploy(id));
                    }
                    return undeployed.transform(ar -> Future.failedFuture(error));
                });
    }

    private static String replicaId() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            host = "unknown";
        }
        return host + "-" + ProcessHandle.current().pid() + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    public int port() {
        return port;
    }

    /** The HTTP routes with a path and methods, as "METHOD /path" (what the API contract must describe). */
    public List<String> routes() {
        return http.routes();
    }

    /** This replica's name in the controller locks. */
    public String replica() {
        return controller.replica();
    }

    public DecisionService decisions() {
        return decisions;
    }

    public OutcomeService outcomes() {
        return outcomes;
    }

    public CityController controller() {
        return controller;
    }

    public CityRules rules() {
        return rules;
    }

    /**
     * Blocking, on a worker: the rule directory, the rule set stored by the admin API, and the model
     * directories, each applied when it changed.
     */
    private static void pollFiles(CityRules rules, RuleSetStore ruleStore, ModelSwapper models) {
        // A changed directory is the newest change: store it, so replicas started later do not go back to an
        // older set activated through the API.
        rules.byCity().forEach((city, cityRules) -> cityRules.reloadIfChanged().activated()
                .ifPresent(changed -> ruleStore.storeNow(city, changed, "directory")));
        ruleStore.applyIfNew(rules);
        models.reloadChanged();
    }

    /** Runs the periodic file and rule-store poll now (the same work the timer does). */
    public Future<Void> pollNow() {
        return vertx.executeBlocking(() -> {
            pollFiles(rules, ruleStore, models);
            return null;
        });
    }

    public ModelSwapper models() {
        return models;
    }

    public Metrics metrics() {
        return metrics;
    }

    /**
     * Stops in the order that loses nothing: the HTTP servers stop accepting and finish the requests in flight; the
     * control verticle gives up its leases; the write-behind log flushes, waiting at most {@link #STOP_FLUSH_WAIT}
     * for Redis, and closes the journal, where anything Redis did not take waits for the next start; then Redis is
     * closed. Says in the log what was left in the journal.
     */
    public Future<Void> stop() {
        Future<Void> undeployed = Future.succeededFuture();
        for (int i = deployments.size() - 1; i >= 0; i--) {
            String id = deployments.get(i);
            undeployed = undeployed.compose(v -> vertx.undeploy(id));
        }
        return undeployed.eventually(() -> vertx.executeBlocking(() -> {
            WriteBehindLog.FlushReport left = log.close(STOP_FLUSH_WAIT);
            if (left.pendingDecisions() + log.pendingOutcomes() > 0) {
                LOG.warn("Stopped with {} decisions and {} outcomes not confirmed by Redis ({}): they wait in the"
                        + " journal {} for the next start with this data directory", left.pendingDecisions(),
                        log.pendingOutcomes(), left.failure() == null ? "Redis did not take them in time"
                                : left.failure().toString(), log.journal().settings().dir().toAbsolutePath());
            } else {
                LOG.info("Stopped: every decision and outcome is in Redis");
            }
            decisions.grants().close();
            redis.close();
            return null;
        }));
    }
}
