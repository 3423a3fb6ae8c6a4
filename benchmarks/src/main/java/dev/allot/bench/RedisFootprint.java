package dev.allot.bench;

import dev.allot.app.AllotService;
import dev.allot.app.cli.EmbeddedRedis;
import dev.allot.app.decision.OutcomeRequest;
import dev.allot.control.redis.RedisClients;
import dev.allot.engine.DecisionRequest;
import dev.allot.engine.Json;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.vertx.core.Context;
import io.vertx.core.Vertx;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * What a decision costs in Redis memory: runs the service in-process on an embedded redis-server (the demo city,
 * shipped model and rules), decides {@code n} arrivals of {@code n / 3} users with requestIds, reports a third of
 * them converted, then measures {@code MEMORY USAGE} of every key by kind. The figures behind docs/scaling.md.
 *
 * <pre>java -cp benchmarks/target/allot-benchmarks.jar dev.allot.bench.RedisFootprint [n]</pre>
 * (from the repository root, after {@code mvn -B -ntp -DskipTests package}).
 */
public final class RedisFootprint {

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        EmbeddedRedis redis = EmbeddedRedis.start();
        Vertx vertx = Vertx.vertx();
        Path data = Files.createTempDirectory("allot-footprint");
        AllotService service = AllotService.start(vertx, AllotService.Settings.defaults(redis.url())
                        .withHost("127.0.0.1").withPort(0).withDataDir(data).withTimers(20, 500, 0))
                .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
        Context context = vertx.getOrCreateContext();
        SplittableRandom random = new SplittableRandom(7);
        String[] segments = {"new", "low_frequency", "high_frequency"};
        for (int i = 0; i < n; i++) {
            Map<String, Double> features = new LinkedHashMap<>();
            features.put("rides_30d", (double) random.nextInt(30));
            features.put("days_since_first_ride", (double) random.nextInt(900));
            features.put("avg_fare", 8.0 + random.nextInt(20));
            features.put("hour", (double) random.nextInt(24));
            DecisionRequest request = new DecisionRequest("req-" + i, "demo", "user-" + random.nextInt(n / 3),
                    segments[random.nextInt(3)], features, Map.of("fraud_risk", false), List.of(), null);
            String body = service.decisions().decide(request, false, context).toCompletionStage()
                    .toCompletableFuture().get(5, TimeUnit.SECONDS).toString();
            if (i % 3 == 0) {
                String id = Json.MAPPER.readTree(body).get("decisionId").asText();
                service.outcomes().record(new OutcomeRequest(id, random.nextBoolean(), null), context)
                        .toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
            }
        }
        service.controller().flush(context).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);

        RedisClient client = RedisClients.create(redis.url(), Duration.ofSeconds(10));
        Map<String, long[]> byKind = new TreeMap<>();
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            ScanCursor cursor = ScanCursor.INITIAL;
            do {
                KeyScanCursor<String> page = c.sync().scan(cursor, ScanArgs.Builder.limit(1_000));
                for (String key : page.getKeys()) {
                    Long bytes = c.sync().memoryUsage(key);
                    long[] sum = byKind.computeIfAbsent(kind(key), k -> new long[2]);
                    sum[0] += bytes == null ? 0 : bytes;
                    sum[1]++;
                }
                cursor = page;
            } while (!cursor.isFinished());
            long total = 0;
            System.out.printf("%,d decisions of %,d users, %,d outcomes reported%n", n, n / 3, (n + 2) / 3);
            System.out.printf("%-22s %8s %14s %12s%n", "keys", "count", "bytes", "per decision");
            for (var e : byKind.entrySet()) {
                total += e.getValue()[0];
                System.out.printf("%-22s %,8d %,14d %,12.0f%n", e.getKey(), e.getValue()[1], e.getValue()[0],
                        e.getValue()[0] / (double) n);
            }
            System.out.printf("%-22s %8s %,14d %,12.0f%n", "all keys", "", total, total / (double) n);
            String info = c.sync().info("memory");
            info.lines().filter(l -> l.startsWith("used_memory:")).forEach(System.out::println);
            long journal;
            try (var files = Files.walk(data.resolve("journal"))) {
                journal = files.filter(f -> f.getFileName().toString().endsWith(".log")).mapToLong(f -> f.toFile().length())
                        .sum();
            }
            System.out.printf("journal on disk: %,d bytes, %,.0f per decision%n", journal, journal / (double) n);
        } finally {
            client.shutdown();
            service.stop().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            vertx.close();
            redis.close();
        }
    }

    /** The key's kind: its name with the city and ids taken out. */
    private static String kind(String key) {
        String rest = key.replaceFirst("^allot:\\{[^}]*}:", "");
        if (rest.startsWith("user:")) {
            return "user history";
        }
        if (rest.startsWith("decisions:")) {
            return "decisions:<second>";
        }
        int colon = rest.indexOf(':');
        return colon < 0 ? rest : rest.substring(0, colon);
    }
}
