package dev.allot.app.control;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.allot.engine.Json;
import dev.allot.rules.CityRules;
import dev.allot.rules.GuardrailRules;
import dev.allot.rules.RuleSet;
import dev.allot.control.redis.RedisLink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The rule set activated through the admin API in each city, kept in Redis so that every replica applies it: a
 * replica activates locally, stores the set under the city's key and announces it on {@link #CHANNEL}; the others
 * apply it when the announcement arrives, or at their next rule poll if they missed it. The rule directory
 * (a ConfigMap in Kubernetes) remains the other source; whichever changed last is what runs.
 */
public final class RuleSetStore {

    private static final Logger LOG = LoggerFactory.getLogger(RuleSetStore.class);
    /** Where a replica announces the set it stored, so the others apply it at once rather than at their next poll. */
    public static final String CHANNEL = "allot:rules:events";
    private static final TypeReference<Map<String, String>> FILES = new TypeReference<>() {
    };

    /** A stored rule set: its version (a digest of the files) and the files. */
    public record Stored(String version, Map<String, String> files) {
    }

    private final RedisLink redis;
    /** The stored set each city last refused here: not retried until another is stored. */
    private final Map<String, String> refused = new ConcurrentHashMap<>();

    public RuleSetStore(RedisLink redis) {
        this.redis = redis;
    }

    /** The hash holding a city's active rule set. */
    public static String key(String city) {
        return "allot:rules:active:" + city;
    }

    public CompletionStage<Long> store(String city, RuleSet ruleSet, String source) {
        String files;
        try {
            files = Json.MAPPER.writeValueAsString(ruleSet.sources());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise rule files", e);
        }
        return redis.call(r -> r.hset(key(city), Map.of("version", ruleSet.version(), "files", files, "activatedAt",
                        Instant.now().toString(), "source", source)))
                .thenCompose(n -> redis.call(r -> r.publish(CHANNEL, city)));
    }

    /** Blocking form of {@link #store}, for the worker's poll; a Redis failure is logged, not thrown. */
    public void storeNow(String city, RuleSet ruleSet, String source) {
        try {
            store(city, ruleSet, source).toCompletableFuture().get(2, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warn("Could not store rule set {} of {}: {}", ruleSet.version(), city, e.toString());
        }
    }

    /**
     * Blocking (a worker's rule poll): applies each city's stored set if it is new to this replica. A stored set
     * that does not pass the sandbox or compile here is reported and not retried until another is stored.
     */
    public void applyIfNew(CityRules rules) {
        rules.byCity().forEach(this::applyIfNew);
    }

    // Synchronized: the announcement and the poll may both find the same new set; the later caller must wait until
    // the first has activated it, or it would report the set applied while the old one still serves.
    private synchronized void applyIfNew(String city, GuardrailRules rules) {
        Map<String, String> stored;
        try {
            stored = redis.call(r -> r.hgetall(key(city))).toCompletableFuture().get(2, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.debug("Rule set store unreachable: {}", e.toString());
            return;
        }
        Optional<Stored> set = parse(stored);
        if (set.isEmpty()) {
            return;
        }
        String version = set.get().version();
        // Compared with what runs here, not with what this replica last stored: two replicas activating at once
        // must end on the set Redis holds. A set refused here, or abandoned here for failing, is not retried.
        boolean running = rules.active().map(RuleSet::version).filter(version::equals).isPresent();
        boolean abandoned = rules.fallback().map(GuardrailRules.Fallback::from).filter(version::equals).isPresent();
        if (running || abandoned || version.equals(refused.get(city))) {
            return;
        }
        GuardrailRules.LoadResult result = rules.activate(set.get().files());
        if (!result.errors().isEmpty()) {
            refused.put(city, version);
            LOG.error("Stored rule set {} of {} is refused on this replica: {}", version, city, result.errors());
        }
    }

    private static Optional<Stored> parse(Map<String, String> hash) {
        if (hash == null || !hash.containsKey("version") || !hash.containsKey("files")) {
            return Optional.empty();
        }
        try {
            return Optional.of(new Stored(hash.get("version"), Json.MAPPER.readValue(hash.get("files"), FILES)));
        } catch (JsonProcessingException e) {
            LOG.error("Stored rule set is not readable: {}", e.getOriginalMessage());
            return Optional.empty();
        }
    }
}
