package dev.allot.app.rules;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import dev.allot.engine.Json;
import dev.allot.control.redis.RedisLink;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.vertx.core.Context;
import io.vertx.core.Future;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Rule versions in Redis, shared by every replica: one hash per version and a sorted set of versions by creation
 * time. Versions are never deleted by the service (they are what decisions recorded); Redis's own persistence
 * keeps them.
 */
public final class RuleVersionStore {

    static final String INDEX = "allot:rules:versions";
    private static final TypeReference<Map<String, String>> FILES = new TypeReference<>() {
    };
    private static final TypeReference<List<String>> CITIES = new TypeReference<>() {
    };
    private static final TypeReference<List<Examples.Result>> RESULTS = new TypeReference<>() {
    };

    private final RedisLink redis;

    public RuleVersionStore(RedisLink redis) {
        this.redis = redis;
    }

    static String key(String version) {
        return "allot:rules:version:" + version;
    }

    public Future<Void> save(RuleVersion v, long createdAtMillis, Context context) {
        Map<String, String> fields = new HashMap<>();
        fields.put("version", v.version());
        fields.put("files", json(v.files()));
        fields.put("cities", json(v.cities()));
        fields.put("author", v.author());
        fields.put("createdAt", v.createdAt());
        fields.put("description", v.description() == null ? "" : v.description());
        fields.put("examples", json(v.examples()));
        fields.put("exampleResults", json(v.exampleResults()));
        putIfSet(fields, "approvedBy", v.approvedBy());
        putIfSet(fields, "approvedAt", v.approvedAt());
        putIfSet(fields, "activatedBy", v.activatedBy());
        putIfSet(fields, "activatedAt", v.activatedAt());
        return Future.fromCompletionStage(redis.call(r -> r.hset(key(v.version()), fields)), context)
                .compose(n -> Future.fromCompletionStage(redis.call(r -> r.zadd(INDEX, (double) createdAtMillis, v.version())),
                        context))
                .mapEmpty();
    }

    /** Records a field change (approval, activation) without rewriting the version. */
    public Future<Void> update(String version, Map<String, String> fields, Context context) {
        return Future.fromCompletionStage(redis.call(r -> r.hset(key(version), fields)), context).mapEmpty();
    }

    public Future<Optional<RuleVersion>> get(String version, Context context) {
        return Future.fromCompletionStage(redis.call(r -> r.hgetall(key(version))), context)
                .map(h -> h == null || h.isEmpty() ? Optional.empty() : Optional.of(read(h)));
    }

    /** The newest {@code limit} versions, newest first. */
    public Future<List<RuleVersion>> list(int limit, Context context) {
        return Future.fromCompletionStage(redis.call(r -> r.zrevrangebyscore(INDEX, Range.unbounded(), Limit.create(0, limit))),
                        context)
                .compose(versions -> {
                    List<Future<Optional<RuleVersion>>> reads = new ArrayList<>();
                    versions.forEach(v -> reads.add(get(v, context)));
                    return Future.all(reads).map(all -> {
                        List<RuleVersion> out = new ArrayList<>();
                        for (int i = 0; i < all.size(); i++) {
                            Optional<RuleVersion> v = all.resultAt(i);
                            v.ifPresent(out::add);
                        }
                        return out;
                    });
                });
    }

    private static void putIfSet(Map<String, String> fields, String name, String value) {
        if (value != null) {
            fields.put(name, value);
        }
    }

    private static RuleVersion read(Map<String, String> h) {
        try {
            JsonNode examples = Json.MAPPER.readTree(h.getOrDefault("examples", "null"));
            return new RuleVersion(h.get("version"), Json.MAPPER.readValue(h.get("files"), FILES),
                    Json.MAPPER.readValue(h.getOrDefault("cities", "[]"), CITIES), h.get("author"),
                    h.get("createdAt"), h.get("description"), examples,
                    Json.MAPPER.readValue(h.getOrDefault("exampleResults", "[]"), RESULTS), h.get("approvedBy"),
                    h.get("approvedAt"), h.get("activatedBy"), h.get("activatedAt"));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("rule version " + h.get("version") + " is not readable: "
                    + e.getOriginalMessage(), e);
        }
    }

    private static String json(Object value) {
        try {
            return Json.MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
