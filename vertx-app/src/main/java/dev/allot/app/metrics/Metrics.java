package dev.allot.app.metrics;

import dev.allot.rules.Reason;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/** The service's meters, in Prometheus format on {@code GET /metrics}. */
public final class Metrics {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Timer decisionLatency = Timer.builder("allot.decision.latency")
            .description("Time from a parsed decision request to its response, Redis round trips included")
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofNanos(10_000))
            .maximumExpectedValue(Duration.ofMillis(100))
            .register(registry);

    private static final int CACHED_LEVELS = 32;
    private final Map<String, Map<String, Counter[]>> decisionCounters = new ConcurrentHashMap<>();
    private final Map<String, Counter> ruleHitCounters = new ConcurrentHashMap<>();

    public Metrics() {
        // Present at zero from the start, so an alert on their rate works before the first error.
        for (String operation : new String[]{"prepare", "claim", "flush", "refresh", "pid", "outcome"}) {
            registry.counter("allot.redis.errors", "operation", operation);
        }
        registry.counter("allot.audit.failures");
        registry.counter("allot.writebehind.shed", "kind", "decision");
        registry.counter("allot.writebehind.shed", "kind", "outcome");
    }

    /** A decision held until the write-behind backlog shrank (Redis slower than the requests). */
    public void held() {
        registry.counter("allot.decisions.held").increment();
    }

    /** A request refused because the write-behind buffer was full. */
    public void shed(String kind) {
        registry.counter("allot.writebehind.shed", "kind", kind).increment();
    }

    /** An admin change whose audit entry could not be written. */
    public void auditFailed() {
        registry.counter("allot.audit.failures").increment();
    }

    public void decided(String city, String group, Integer level, long nanos) {
        decisionLatency.record(nanos, TimeUnit.NANOSECONDS);
        decisionCounter(city, group, level).increment();
    }

    /**
     * The decisions counter of a city, group and level, found without the registry: looking a meter up by name and
     * tags builds and sorts its tags on every call, which showed in the request path's profile. Cities and groups
     * come from configuration, levels from its ladders, so the cache is as small as the meters.
     */
    private Counter decisionCounter(String city, String group, Integer level) {
        Counter[] byLevel = decisionCounters.computeIfAbsent(city, c -> new ConcurrentHashMap<>())
                .computeIfAbsent(group, g -> new Counter[CACHED_LEVELS + 1]);
        int slot = level == null ? 0 : level + 1;
        if (slot > CACHED_LEVELS) {
            return registry.counter("allot.decisions", "city", city, "group", group, "level", level.toString());
        }
        Counter counter = byLevel[slot];
        if (counter == null) {
            // A race stores the same meter twice: the registry returns one meter per name and tags.
            counter = registry.counter("allot.decisions", "city", city, "group", group,
                    "level", level == null ? "none" : level.toString());
            byLevel[slot] = counter;
        }
        return counter;
    }

    public void ruleHits(List<Reason> reasons) {
        for (Reason r : reasons) {
            ruleHitCounters.computeIfAbsent(r.rule(), rule -> registry.counter("allot.rule.hits", "rule", rule))
                    .increment();
        }
    }

    public void unknownFeatures(String city, int count) {
        if (count > 0) {
            registry.counter("allot.unknown.features", "city", city).increment(count);
        }
    }

    public void nonMonotoneCurve(String city) {
        registry.counter("allot.curve.repaired", "city", city).increment();
    }

    /** A request-path Redis call left out while the circuit is open. */
    public void redisSkipped(String operation) {
        registry.counter("allot.redis.skipped", "operation", operation).increment();
    }

    public void redisError(String operation) {
        registry.counter("allot.redis.errors", "operation", operation).increment();
    }

    /** A connection closed for sending no complete request headers in time (slowloris, idle keep-alive). */
    public void headerTimeout() {
        registry.counter("allot.http.header.timeouts").increment();
    }

    /** Redis lost a city's data (its epoch changed) and this replica restored its share. */
    public void redisDataLoss(String city) {
        registry.counter("allot.redis.data.loss", "city", city).increment();
    }

    /** Decisions sent again to a Redis that kept its epoch but lost this replica's last writes. */
    public void redisLostWrites(String city, long decisions) {
        registry.counter("allot.redis.lost.writes", "city", city).increment(decisions);
    }

    public void outcome(String city, String result) {
        registry.counter("allot.outcomes", "city", city, "result", result).increment();
    }

    public void rejected(int status, String code) {
        Counter.builder("allot.requests.rejected").tag("status", Integer.toString(status)).tag("error", code)
                .register(registry).increment();
    }

    /**
     * A counter kept by {@code owner} (a monotonic count), read at each scrape. Micrometer holds the owner weakly:
     * it must be an object the service keeps, not a lambda made for the call.
     */
    public <T> void functionCounter(String name, String tag, String value, T owner, ToDoubleFunction<T> count) {
        FunctionCounter.builder(name, owner, count).tag(tag, value).register(registry);
    }

    public void gauge(String name, String city, Supplier<Number> value) {
        Gauge.builder(name, value).tag("city", city).register(registry);
    }

    public void gauge(String name, Supplier<Number> value) {
        Gauge.builder(name, value).register(registry);
    }

    public String scrape() {
        return registry.scrape();
    }
}
