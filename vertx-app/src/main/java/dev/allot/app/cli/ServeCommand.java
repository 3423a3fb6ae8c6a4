package dev.allot.app.cli;

import dev.allot.app.AllotService;
import dev.allot.rules.RuleHealth;
import io.vertx.core.Vertx;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Start the decision service. Without REDIS_URL an embedded Redis is started.")
public final class ServeCommand implements Callable<Integer> {

    @Option(names = "--port", description = "HTTP port (default: env PORT or 8080)")
    Integer port;

    @Option(names = "--host", defaultValue = "0.0.0.0", description = "Interface to bind (default: ${DEFAULT-VALUE})")
    String host;

    @Option(names = "--config-dir", defaultValue = "config/cities",
            description = "Directory of city configs (default: ${DEFAULT-VALUE})")
    Path configDir;

    @Option(names = "--rules-dir", defaultValue = "rules/guardrails",
            description = "Directory of guardrail rule files, watched for changes (default: ${DEFAULT-VALUE})")
    Path rulesDir;

    @Option(names = "--body-limit", defaultValue = "65536", description = "Largest request body in bytes")
    long bodyLimit;

    @Option(names = "--identities", description = "Identities file: named tokens with scopes, JWT verification"
            + " (default: env ALLOT_IDENTITIES_FILE; ALLOT_ADMIN_TOKEN is always one identity with every scope)")
    Path identities;

    @Option(names = "--max-pending-writes", defaultValue = "50000",
            description = "Decisions and outcomes that may wait in memory for Redis (about 4 KB each); beyond it"
                    + " requests get 503 (default: ${DEFAULT-VALUE})")
    int maxPendingWrites;

    @Option(names = "--data-dir", defaultValue = "data",
            description = "The replica's own directory: the journal of writes owed to Redis (replayed at the next"
                    + " start) and the control snapshot; a volume in Kubernetes (default: ${DEFAULT-VALUE})")
    Path dataDir;

    @Option(names = "--max-journal-mb", defaultValue = "2048",
            description = "Megabytes of writes that may wait for Redis in the journal; beyond it new decisions get"
                    + " 503 (default: ${DEFAULT-VALUE})")
    long maxJournalMb;

    @Option(names = "--journal-retain-mb", defaultValue = "1024",
            description = "Megabytes of journal kept after Redis confirmed them (about 1.7 KB a decision): what this"
                    + " replica sends again to a Redis that comes back empty (default: ${DEFAULT-VALUE})")
    long journalRetainMb;

    @Option(names = "--stream-retention-days", defaultValue = "8",
            description = "Days each city's decision stream keeps, for exports, training and rule dry-runs"
                    + " (about 1.7 KB a decision in Redis; default: ${DEFAULT-VALUE})")
    int streamRetentionDays;

    @Option(names = "--grants-view", defaultValue = "2097152",
            description = "Coupons of the last week this replica keeps in memory (21 bytes each), so a decision"
                    + " needs no Redis round trip for the user's coupon count; past it, Redis counts the users the"
                    + " view forgot (default: ${DEFAULT-VALUE})")
    int grantsView;

    @Option(names = "--four-eyes", description = "Rule sets need approval by someone other than their author"
            + " before activation; direct activation of files is then refused (409)")
    boolean fourEyes;

    @Option(names = "--rules-max-error-rate", defaultValue = "0.01",
            description = "Share of rule evaluations that may fail (in windows of 1,000, from the 10th failure)"
                    + " before the replica falls back to the last good rule set (default: ${DEFAULT-VALUE})")
    double rulesMaxErrorRate;

    /** The most a SIGTERM may take: HTTP drain, flush wait and journal close, with room to spare. */
    public static final long STOP_SECONDS = 20;

    @Override
    public Integer call() throws Exception {
        String redisUrl = System.getenv("REDIS_URL");
        EmbeddedRedis embedded = null;
        if (redisUrl == null || redisUrl.isBlank()) {
            embedded = EmbeddedRedis.start();
            redisUrl = embedded.url();
        }
        if (maxPendingWrites < 1) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--max-pending-writes must be at least 1,"
                    + " got " + maxPendingWrites);
        }
        if (maxJournalMb < 1) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--max-journal-mb must be at least 1,"
                    + " got " + maxJournalMb);
        }
        if (journalRetainMb < 0) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--journal-retain-mb must not be"
                    + " negative, got " + journalRetainMb);
        }
        if (streamRetentionDays < 1) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--stream-retention-days must be at"
                    + " least 1, got " + streamRetentionDays);
        }
        if (grantsView < 1) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--grants-view must be at least 1, got "
                    + grantsView);
        }
        int httpPort = port != null ? port : Integer.parseInt(System.getenv().getOrDefault("PORT", "8080"));
        AllotService.Settings settings = AllotService.Settings.defaults(redisUrl).withPort(httpPort).withHost(host)
                .withDirectories(configDir, rulesDir).withAdminToken(adminToken()).withBodyLimit(bodyLimit)
                .withRulePolicy(new RuleHealth.Policy(rulesMaxErrorRate, RuleHealth.Policy.DEFAULT.window(),
                        RuleHealth.Policy.DEFAULT.minFailures()))
                .withIdentities(identities != null ? identities : envPath("ALLOT_IDENTITIES_FILE"))
                .withFourEyes(fourEyes).withMaxPendingWrites(maxPendingWrites)
                .withDataDir(dataDir).withMaxJournalBytes(maxJournalMb << 20)
                .withJournalRetainBytes(journalRetainMb << 20).withStreamRetentionDays(streamRetentionDays)
                .withGrantsView(grantsView);
        Vertx vertx = Vertx.vertx();
        AllotService service;
        try {
            service = AllotService.start(vertx, settings).toCompletionStage().toCompletableFuture()
                    .get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            vertx.close();
            if (embedded != null) {
                embedded.close();
            }
            throw e;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        // SIGTERM: stop accepting, finish requests in flight, flush to Redis (bounded), journal the rest. The
        // Kubernetes grace period (30 s) covers the drain (5 s), the flush (5 s) and the journal's close.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                service.stop().eventually(vertx::close).toCompletionStage().toCompletableFuture()
                        .get(STOP_SECONDS, TimeUnit.SECONDS);
            } catch (Exception e) {
                System.err.println("allot: stop did not complete in " + STOP_SECONDS + " s: " + e);
            }
            stopped.countDown();
        }, "allot-stop"));
        stopped.await();
        return 0;
    }

    private static Path envPath(String name) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? null : Path.of(value);
    }

    private static String adminToken() throws java.io.IOException {
        String file = System.getenv("ALLOT_ADMIN_TOKEN_FILE");
        if (file != null && !file.isBlank()) {
            return Files.readString(Path.of(file), StandardCharsets.UTF_8).strip();
        }
        return System.getenv("ALLOT_ADMIN_TOKEN");
    }
}
