package dev.allot.bench;

import dev.allot.control.DecisionIds;
import dev.allot.control.redis.RedisLink;
import dev.allot.control.redis.WriteBehindLog;
import dev.allot.engine.DecisionCodec;
import dev.allot.engine.DecisionContext;
import dev.allot.engine.DecisionRecord;
import dev.allot.engine.Levels;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Redis CPU per decision of the write-behind path alone: {@code n} decisions of realistic size (the record's JSON,
 * outcome index, coupon history for three in four, totals) appended to a {@link WriteBehindLog} with its default
 * settings and flushed every thousand, against the redis-server at {@code url}; {@code used_cpu_sys + user} over
 * the run divided by the decisions, and {@code INFO commandstats}. No HTTP, no load generator: the figure is the
 * scripts' and commands' own cost, so script changes can be compared on a quiet machine.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar dev.allot.bench.RedisWriteCost redis://127.0.0.1:6390 [n] [untimed]</pre>
 * With {@code untimed}, decision ids are random UUIDs, as before ids carried their time: each decision's outcome
 * index then gets a key of its own, as it did, instead of a field in the hash of its second.
 * Flushes the server's data first: point it at a scratch redis-server.
 */
public final class RedisWriteCost {

    public static void main(String[] args) throws Exception {
        String url = args.length > 0 ? args[0] : "redis://127.0.0.1:6390";
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 50_000;
        boolean untimed = args.length > 2 && args[2].equals("untimed");
        RedisClient client = RedisClient.create(url);
        try (StatefulRedisConnection<String, String> admin = client.connect()) {
            RedisCommands<String, String> r = admin.sync();
            r.flushall();
            r.configResetstat();
            RedisLink link = RedisLink.connect(url, Duration.ofSeconds(5));
            link.connected().get(10, TimeUnit.SECONDS);
            WriteBehindLog log = new WriteBehindLog(link, WriteBehindLog.Settings.defaults());
            SplittableRandom random = new SplittableRandom(11);
            double before = cpu(r);
            long started = System.nanoTime();
            for (int i = 0; i < n; i++) {
                DecisionRecord record = record(i, random, untimed);
                log.append(record.event(DecisionCodec.toStream(record)));
                if (i % 1_000 == 999) {
                    log.flush().toCompletableFuture().get(30, TimeUnit.SECONDS);
                }
            }
            log.flush().toCompletableFuture().get(30, TimeUnit.SECONDS);
            double seconds = (System.nanoTime() - started) / 1e9;
            double used = cpu(r) - before;
            System.out.printf(Locale.ROOT, "%d decisions in %.1f s: Redis CPU %.1f us per decision; stream entries %d%n",
                    n, seconds, used * 1e6 / n, r.xlen("allot:{bench}:decisions"));
            for (String line : r.info("commandstats").split("\r\n")) {
                if (line.startsWith("cmdstat_")) {
                    System.out.println("  " + line);
                }
            }
            log.close(Duration.ofSeconds(5));
            link.close();
        } finally {
            client.shutdown();
        }
    }

    private static DecisionRecord record(int i, SplittableRandom random, boolean untimed) {
        double[] coupons = {0, 2, 4, 6, 8, 10};
        double[] prices = new double[6];
        double[] raw = new double[6];
        double[] calibrated = new double[6];
        double[] values = new double[6];
        double[] costs = new double[6];
        boolean[] allowed = new boolean[6];
        double p = 0.05 + 0.3 * random.nextDouble();
        for (int j = 0; j < 6; j++) {
            prices[j] = 18 - coupons[j];
            raw[j] = Math.min(0.99, p + 0.07 * j * random.nextDouble());
            calibrated[j] = j == 0 ? raw[0] : Math.max(calibrated[j - 1], raw[j]);
            values[j] = calibrated[j] * prices[j];
            costs[j] = calibrated[j] * coupons[j];
            allowed[j] = j < 5 || random.nextBoolean();
        }
        int level = 1 + random.nextInt(5);
        boolean coupon = i % 4 != 0;
        Map<String, Double> features = Map.of("rides_30d", (double) random.nextInt(30),
                "days_since_first_ride", (double) random.nextInt(2_000), "avg_fare", 10 + 13 * random.nextDouble(),
                "hour", (double) random.nextInt(24));
        long now = System.currentTimeMillis();
        String id = untimed ? "bench." + new java.util.UUID(random.nextLong(), random.nextLong())
                : DecisionIds.next("bench", now);
        return new DecisionRecord(DecisionCodec.FORMAT, id, null, "bench", "2026-11-26", now, null, "user-" + i,
                "low_frequency", features, Map.of("fraud_risk", false), List.of(),
                new DecisionContext(random.nextInt(3), true, i, 4.5 * i, 1.2 * i),
                new Levels(coupons, prices, raw, calibrated, values, costs, allowed), "optimized", 1.0,
                0.4 + 0.2 * random.nextDouble(), coupon ? level : 0, coupon ? coupons[level] : 0,
                coupon ? prices[level] : 18, List.of(), "demo-7-60000x60d4", "rules-0addb13b9b3374bd5a27b511a4d5bb8b");
    }

    private static double cpu(RedisCommands<String, String> r) {
        double sum = 0;
        for (String line : r.info("cpu").split("\r\n")) {
            if (line.startsWith("used_cpu_sys:") || line.startsWith("used_cpu_user:")) {
                sum += Double.parseDouble(line.substring(line.indexOf(':') + 1));
            }
        }
        return sum;
    }
}
