package dev.allot.control.redis;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The replica's connection to Redis, a single node or a Redis Cluster, which may not exist yet: the service starts
 * while Redis is unreachable and this link keeps trying in the background (at most a second apart). Until the
 * first connection, {@link #async()} fails at once with a connection error, which every caller already handles as
 * "Redis unreachable"; after it, Lettuce reconnects by itself.
 *
 * <p>URLs: {@code redis://host:port[/db]} (or {@code rediss://}) for one node; {@code redis-cluster://host:port,
 * host:port,...} or several comma-separated {@code redis://} seeds for a cluster.
 */
public final class RedisLink implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RedisLink.class);

    private final String url;
    private final boolean cluster;
    private final RedisClient single;
    private final RedisClusterClient clustered;
    private final List<RedisURI> seeds;
    private final CompletableFuture<Void> connected = new CompletableFuture<>();
    private final Map<String, List<Consumer<String>>> listeners = new ConcurrentHashMap<>();
    private final ScheduledExecutorService retry;
    private volatile RedisClusterAsyncCommands<String, String> commands;
    private volatile StatefulConnection<String, String> connection;
    private volatile StatefulRedisPubSubConnection<String, String> pubSub;
    private volatile boolean closed;

    private RedisLink(String url, List<RedisURI> seeds, boolean cluster, Duration commandTimeout) {
        this.url = url;
        this.seeds = seeds;
        this.cluster = cluster;
        if (cluster) {
            this.single = null;
            this.clustered = RedisClients.cluster(seeds, commandTimeout);
        } else {
            this.single = RedisClients.create(seeds.get(0), commandTimeout);
            this.clustered = null;
        }
        this.retry = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "allot-redis-connect");
            t.setDaemon(true);
            return t;
        });
    }

    /** An already open connection (tests and tools that connected themselves). */
    private RedisLink(StatefulRedisConnection<String, String> open) {
        this.url = "(connection)";
        this.seeds = List.of();
        this.cluster = false;
        this.single = null;
        this.clustered = null;
        this.retry = null;
        this.connection = open;
        this.commands = open.async();
        connected.complete(null);
    }

    public static RedisLink of(StatefulRedisConnection<String, String> open) {
        return new RedisLink(open);
    }

    /**
     * Starts connecting to {@code url} and returns at once; {@link #connected()} completes on the first success.
     *
     * @throws IllegalArgumentException for a URL that names no Redis
     */
    public static RedisLink connect(String url, Duration commandTimeout) {
        boolean cluster = url.startsWith("redis-cluster://") || url.contains(",");
        List<RedisURI> seeds = new ArrayList<>();
        String rest = url.startsWith("redis-cluster://") ? url.substring("redis-cluster://".length()) : url;
        for (String seed : rest.split(",")) {
            String s = seed.strip();
            if (s.isEmpty()) {
                continue;
            }
            seeds.add(RedisURI.create(s.contains("://") ? s : "redis://" + s));
        }
        if (seeds.isEmpty()) {
            throw new IllegalArgumentException("REDIS_URL names no Redis: '" + url + "'");
        }
        RedisLink link = new RedisLink(url, seeds, cluster, commandTimeout);
        link.attempt(Duration.ofMillis(50));
        return link;
    }

    private void attempt(Duration backoff) {
        if (closed) {
            return;
        }
        CompletionStage<? extends StatefulConnection<String, String>> main;
        CompletionStage<? extends StatefulRedisPubSubConnection<String, String>> events;
        if (cluster) {
            // The topology first: a cluster connection is routed by it, and Lettuce's async connect does not load it.
            main = clustered.refreshPartitionsAsync().thenCompose(v -> clustered.connectAsync(StringCodec.UTF8));
            events = main.thenCompose(c -> clustered.connectPubSubAsync(StringCodec.UTF8));
        } else {
            main = single.connectAsync(StringCodec.UTF8, seeds.get(0));
            events = main.thenCompose(c -> single.connectPubSubAsync(StringCodec.UTF8, seeds.get(0)));
        }
        events.whenComplete((subscriber, error) -> {
            if (error != null) {
                main.thenAccept(StatefulConnection::close);
                if (!closed) {
                    if (backoff.toMillis() <= 50) {
                        LOG.warn("Redis at {} is unreachable ({}): serving degraded, retrying every second until it"
                                + " is reached", url, rootMessage(error));
                    }
                    Duration next = backoff.multipliedBy(2).compareTo(Duration.ofSeconds(1)) > 0
                            ? Duration.ofSeconds(1) : backoff.multipliedBy(2);
                    retry.schedule(() -> attempt(next), backoff.toMillis(), TimeUnit.MILLISECONDS);
                }
                return;
            }
            StatefulConnection<String, String> c = main.toCompletableFuture().join();
            if (closed) {
                c.close();
                subscriber.close();
                return;
            }
            connection = c;
            commands = c instanceof StatefulRedisClusterConnection<String, String> cc ? cc.async()
                    : ((StatefulRedisConnection<String, String>) c).async();
            pubSub = subscriber;
            subscriber.addListener(new RedisPubSubAdapter<>() {
                @Override
                public void message(String channel, String message) {
                    listeners.getOrDefault(channel, List.of()).forEach(l -> l.accept(message));
                }
            });
            if (!listeners.isEmpty()) {
                subscriber.async().subscribe(listeners.keySet().toArray(String[]::new));
            }
            LOG.info("Connected to Redis at {}{}", url, cluster ? " (cluster)" : "");
            connected.complete(null);
        });
    }

    private static String rootMessage(Throwable error) {
        Throwable t = error;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName() + ": " + t.getMessage();
    }

    /** Commands, once Redis has been reached; before that, a connection error (handled as Redis unreachable). */
    public RedisClusterAsyncCommands<String, String> async() {
        RedisClusterAsyncCommands<String, String> c = commands;
        if (c == null) {
            throw new RedisConnectionException("Redis at " + url + " not reached yet");
        }
        return c;
    }

    /**
     * Runs {@code command} on the commands; a link that never reached Redis gives a failed stage (a connection
     * error), as an unreachable Redis does, never an exception thrown at the caller.
     */
    public <T> CompletionStage<T> call(Function<RedisClusterAsyncCommands<String, String>, ? extends CompletionStage<T>> command) {
        try {
            return command.apply(async());
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** Completes when Redis was first reached. */
    public CompletableFuture<Void> connected() {
        return connected;
    }

    public boolean cluster() {
        return cluster;
    }

    public String url() {
        return url;
    }

    /** Calls {@code listener} with each message on {@code channel}, from the first connection on. */
    public void subscribe(String channel, Consumer<String> listener) {
        listeners.computeIfAbsent(channel, k -> new java.util.concurrent.CopyOnWriteArrayList<>()).add(listener);
        StatefulRedisPubSubConnection<String, String> p = pubSub;
        if (p != null) {
            p.async().subscribe(channel);
        }
    }

    @Override
    public void close() {
        closed = true;
        if (retry != null) {
            retry.shutdownNow();
        }
        StatefulRedisPubSubConnection<String, String> p = pubSub;
        if (p != null) {
            p.close();
        }
        if (single != null || clustered != null) {
            StatefulConnection<String, String> c = connection;
            if (c != null) {
                c.close();
            }
            if (single != null) {
                single.shutdown();
            } else {
                clustered.shutdown();
            }
        }
    }

    /**
     * {@code first}, or when it fails with an error {@code when} accepts (the cause, unwrapped from a
     * {@link CompletionException}), the call {@code then} makes instead.
     */
    static <T> CompletionStage<T> orElseOn(CompletionStage<T> first, Predicate<Throwable> when,
                                           Supplier<CompletionStage<T>> then) {
        return first.handle((result, error) -> {
            if (error == null) {
                return CompletableFuture.completedFuture(result);
            }
            Throwable cause = error instanceof CompletionException && error.getCause() != null
                    ? error.getCause() : error;
            return when.test(cause) ? then.get() : CompletableFuture.<T>failedFuture(cause);
        }).thenCompose(stage -> stage);
    }
}
