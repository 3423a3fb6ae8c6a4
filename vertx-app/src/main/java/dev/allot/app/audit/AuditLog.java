package dev.allot.app.audit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.allot.app.auth.Identity;
import dev.allot.app.metrics.Metrics;
import dev.allot.engine.Json;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XAddArgs;
import io.vertx.core.Context;
import io.vertx.core.Future;
import dev.allot.control.redis.RedisLink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every admin change (rules, PID, λ, model), appended to a Redis stream shared by all replicas: who, when, what,
 * and the state before and after. An append that fails does not undo the change (it has happened): the caller is
 * told ({@code "audited": false}), the failure is logged with the whole entry and counted in a metric.
 */
public final class AuditLog {

    private static final Logger LOG = LoggerFactory.getLogger(AuditLog.class);
    public static final String STREAM = "allot:audit";
    /** Entries kept (approximately): years of admin changes at any realistic rate. */
    static final long KEEP = 100_000;
    /** Entries one listing reads at most while filtering. */
    static final int SCAN = 10_000;

    /** One change. {@code before} and {@code after} are JSON. */
    public record Entry(String id, String at, String who, String action, String target, JsonNode before,
                        JsonNode after) {
    }

    /** What to list: null fields match everything; {@code action} matches a prefix ("rules." for all rules). */
    public record Filter(String who, String action, String target, Instant since, int limit) {
    }

    private final RedisLink redis;
    private final Clock clock;
    private final Metrics metrics;

    public AuditLog(RedisLink redis, Clock clock, Metrics metrics) {
        this.redis = redis;
        this.clock = clock;
        this.metrics = metrics;
    }

    /** Appends a change; completes with whether it was recorded (never fails). */
    public Future<Boolean> append(Identity who, String action, String target, Object before, Object after,
                                  Context context) {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("at", clock.instant().toString());
        fields.put("who", who.name());
        fields.put("action", action);
        fields.put("target", target);
        fields.put("before", json(before));
        fields.put("after", json(after));
        return Future.fromCompletionStage(redis.call(r -> r.xadd(STREAM, XAddArgs.Builder.maxlen(KEEP).approximateTrimming(),
                        fields)), context)
                .map(id -> true)
                .recover(e -> {
                    LOG.error("Audit entry not recorded ({}): {}", e.toString(), fields);
                    metrics.auditFailed();
                    return Future.succeededFuture(false);
                });
    }

    /** The newest entries matching {@code filter}, newest first. */
    public Future<List<Entry>> list(Filter filter, Context context) {
        return Future.fromCompletionStage(redis.call(r -> r.xrevrange(STREAM, Range.create("-", "+"), Limit.from(SCAN))), context)
                .map(messages -> {
                    List<Entry> out = new ArrayList<>();
                    for (StreamMessage<String, String> m : messages) {
                        Entry e = entry(m);
                        if (filter.since() != null && Instant.parse(e.at()).isBefore(filter.since())) {
                            break;
                        }
                        if ((filter.who() == null || filter.who().equals(e.who()))
                                && (filter.action() == null || e.action().startsWith(filter.action()))
                                && (filter.target() == null || filter.target().equals(e.target()))) {
                            out.add(e);
                            if (out.size() >= filter.limit()) {
                                break;
                            }
                        }
                    }
                    return out;
                });
    }

    private static Entry entry(StreamMessage<String, String> m) {
        Map<String, String> b = m.getBody();
        return new Entry(m.getId(), b.get("at"), b.get("who"), b.get("action"), b.get("target"),
                tree(b.get("before")), tree(b.get("after")));
    }

    private static String json(Object value) {
        try {
            return Json.MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            return "\"" + value + "\"";
        }
    }

    private static JsonNode tree(String json) {
        try {
            return json == null ? null : Json.MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            return Json.MAPPER.getNodeFactory().textNode(json);
        }
    }
}
