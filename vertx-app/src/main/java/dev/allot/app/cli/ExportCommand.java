package dev.allot.app.cli;

import dev.allot.control.redis.DecisionStream;
import dev.allot.control.redis.RedisClients;
import dev.allot.control.redis.RedisKeys;
import dev.allot.engine.DecisionCodec;
import dev.allot.engine.DecisionRecord;
import dev.allot.engine.Json;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.RedisClient;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;

/**
 * Joins a city's decision stream and outcome stream into a training CSV: the features each decision used,
 * the level, coupon and price offered, whether the customer bought and what they paid, the propensity and
 * group of the policy that chose, and the time. A decision without a reported outcome counts as no purchase
 * unless {@code --require-outcome} drops it. The last column holds each decision's whole record
 * ({@link DecisionCodec}), which {@code allot replay} reads; training never takes it as a feature.
 */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Join a city's decision and outcome streams (Redis) into a training CSV.")
public final class ExportCommand implements Callable<Integer> {

    static final String[] TAIL = {"level", "coupon", "price", "converted", "revenue", "propensity", "group", "segment",
            "userId", "decisionId", "timestamp"};

    @Option(names = "--city", required = true, description = "City to export")
    String city;

    @Option(names = "--out", required = true, description = "CSV file to write")
    Path out;

    @Option(names = "--redis-url", description = "Redis holding the streams (default: env REDIS_URL)")
    String redisUrl;

    @Option(names = "--groups", split = ",", description = "Only these groups, e.g. exploration (default: all)")
    Set<String> groups;

    @Option(names = "--require-outcome", description = "Drop decisions with no reported outcome")
    boolean requireOutcome;

    @Override
    public Integer call() throws IOException {
        String url = redisUrl != null ? redisUrl : System.getenv("REDIS_URL");
        if (url == null || url.isBlank()) {
            throw new IllegalArgumentException("give --redis-url or set REDIS_URL: export reads the service's Redis");
        }
        RedisClient client = RedisClients.create(url, Duration.ofSeconds(30));
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            long rows = export(connection.sync(), city, out, groups, requireOutcome);
            System.out.println("{\"city\":\"" + city + "\",\"rows\":" + rows + ",\"out\":" + Json.MAPPER.writeValueAsString(
                    out.toString()) + "}");
        } finally {
            client.shutdown();
        }
        return 0;
    }

    /** Writes the CSV; returns the number of rows. */
    public static long export(RedisCommands<String, String> redis, String city, Path out, Set<String> groups,
                              boolean requireOutcome) throws IOException {
        Map<String, String[]> outcomes = new HashMap<>();
        scan(redis, RedisKeys.outcomes(city), 10_000, m -> outcomes.putIfAbsent(m.getBody().get("decisionId"),
                new String[]{m.getBody().get("converted"), m.getBody().get("revenue")}));
        Set<String> features = new TreeSet<>();
        scanDecisions(redis, city, d -> {
            if (wanted(d, groups)) {
                features.addAll(d.features().keySet());
            }
        });
        features.remove("coupon");
        List<String> header = new ArrayList<>(features);
        header.addAll(List.of(TAIL));
        header.add(DecisionCodec.FIELD);
        long[] rows = {0};
        try (CSVPrinter csv = CSVFormat.DEFAULT.builder().setHeader(header.toArray(String[]::new))
                .setRecordSeparator('\n').get().print(Files.newBufferedWriter(out, StandardCharsets.UTF_8))) {
            List<Object> line = new ArrayList<>(header.size());
            scanDecisions(redis, city, d -> {
                String[] outcome = outcomes.get(d.decisionId());
                if (!wanted(d, groups) || !d.offered() || (requireOutcome && outcome == null)) {
                    return;
                }
                line.clear();
                for (String name : features) {
                    Double v = d.features().get(name);
                    line.add(v == null ? "" : v);
                }
                boolean converted = outcome != null && "1".equals(outcome[0]);
                line.addAll(List.of(d.level(), d.coupon(), d.price(), converted ? 1 : 0,
                        converted ? outcome[1] : "0", d.propensity(), d.group(), d.segment(), d.userId(),
                        d.decisionId(), Instant.ofEpochMilli(d.timestampMillis()), DecisionCodec.toJson(d)));
                csv.printRecord(line);
                rows[0]++;
            });
        }
        return rows[0];
    }

    private static boolean wanted(DecisionRecord decision, Set<String> groups) {
        return groups == null || groups.isEmpty() || groups.contains(decision.group());
    }

    interface Visitor<T> {
        void visit(T item) throws IOException;
    }

    /** The city's recorded decisions, oldest first. */
    static void scanDecisions(RedisCommands<String, String> redis, String city, Visitor<DecisionRecord> visitor)
            throws IOException {
        // An entry holds a write-behind batch, up to 64 decisions: pages of 200 entries are ~10 MB at most.
        scan(redis, RedisKeys.decisions(city), 200, m -> {
            for (Map<String, String> decision : DecisionStream.decisions(m.getBody())) {
                visitor.visit(DecisionCodec.fromStream(decision));
            }
        });
    }

    /** Reads a stream in pages of {@code page} entries, oldest first. */
    static void scan(RedisCommands<String, String> redis, String stream, int page,
                     Visitor<StreamMessage<String, String>> visitor) throws IOException {
        String from = "-";
        while (true) {
            List<StreamMessage<String, String>> entries = redis.xrange(stream, Range.create(from, "+"),
                    Limit.from(page));
            Iterator<StreamMessage<String, String>> it = entries.iterator();
            if (!it.hasNext()) {
                return;
            }
            StreamMessage<String, String> last = null;
            while (it.hasNext()) {
                last = it.next();
                visitor.visit(last);
            }
            if (entries.size() < page) {
                return;
            }
            from = "(" + last.getId();
        }
    }
}
