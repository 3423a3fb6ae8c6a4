package dev.allot.app.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.allot.app.Json;
import dev.allot.control.redis.RedisClients;
import dev.allot.control.redis.RedisKeys;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.RedisClient;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
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
 * unless {@code --require-outcome} drops it.
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
        scan(redis, RedisKeys.outcomes(city), m -> outcomes.putIfAbsent(m.getBody().get("decisionId"),
                new String[]{m.getBody().get("converted"), m.getBody().get("revenue")}));
        Set<String> features = new TreeSet<>();
        scan(redis, RedisKeys.decisions(city), m -> {
            if (wanted(m.getBody(), groups)) {
                Json.MAPPER.readTree(m.getBody().get("features")).fieldNames().forEachRemaining(features::add);
            }
        });
        features.remove("coupon");
        long[] rows = {0};
        try (BufferedWriter w = Files.newBufferedWriter(out, StandardCharsets.UTF_8)) {
            w.write(String.join(",", features));
            w.write(features.isEmpty() ? "" : ",");
            w.write(String.join(",", TAIL));
            w.write('\n');
            StringBuilder line = new StringBuilder();
            scan(redis, RedisKeys.decisions(city), m -> {
                Map<String, String> d = m.getBody();
                String[] outcome = outcomes.get(d.get("decisionId"));
                if (!wanted(d, groups) || d.get("level").isEmpty() || (requireOutcome && outcome == null)) {
                    return;
                }
                JsonNode f = Json.MAPPER.readTree(d.get("features"));
                line.setLength(0);
                for (String name : features) {
                    JsonNode v = f.get(name);
                    line.append(v == null || v.isNull() ? "" : v.asText()).append(',');
                }
                boolean converted = outcome != null && "1".equals(outcome[0]);
                line.append(d.get("level")).append(',').append(d.get("coupon")).append(',').append(d.get("price"))
                        .append(',').append(converted ? 1 : 0).append(',').append(converted ? outcome[1] : "0")
                        .append(',').append(d.get("propensity")).append(',').append(d.get("group")).append(',')
                        .append(csv(d.get("segment"))).append(',').append(csv(d.get("userId"))).append(',')
                        .append(d.get("decisionId")).append(',')
                        .append(Instant.ofEpochMilli(Long.parseLong(d.get("ts")))).append('\n');
                w.write(line.toString());
                rows[0]++;
            });
        }
        return rows[0];
    }

    private static boolean wanted(Map<String, String> decision, Set<String> groups) {
        return groups == null || groups.isEmpty() || groups.contains(decision.get("group"));
    }

    /**
     * User ids and segments are free text; percent-encoding the characters that would split a CSV cell keeps
     * the file readable by a plain comma split and keeps distinct ids distinct.
     */
    static String csv(String value) {
        if (value == null) {
            return "";
        }
        return value.replace("%", "%25").replace(",", "%2C").replace("\"", "%22").replace("\n", "%0A")
                .replace("\r", "%0D");
    }

    interface Visitor {
        void visit(StreamMessage<String, String> message) throws IOException;
    }

    /** Reads a stream in pages, oldest first. */
    private static void scan(RedisCommands<String, String> redis, String stream, Visitor visitor) throws IOException {
        String from = "-";
        while (true) {
            List<StreamMessage<String, String>> page = redis.xrange(stream, Range.create(from, "+"),
                    Limit.from(10_000));
            Iterator<StreamMessage<String, String>> it = page.iterator();
            if (!it.hasNext()) {
                return;
            }
            StreamMessage<String, String> last = null;
            while (it.hasNext()) {
                last = it.next();
                visitor.visit(last);
            }
            if (page.size() < 10_000) {
                return;
            }
            from = "(" + last.getId();
        }
    }
}
