package dev.allot.control.redis;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import io.lettuce.core.resource.NettyCustomizer;
import io.netty.channel.Channel;
import io.netty.handler.flush.FlushConsolidationHandler;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The one place Lettuce clients are configured. Commands fail fast while Redis is unreachable instead of
 * queueing (Lettuce's default would hold a request for up to a minute), because every caller has a fallback:
 * the write-behind log keeps writes, decisions go on with the last known lambda.
 */
public final class RedisClients {

    private RedisClients() {
    }

    /**
     * Shared by every client of the process: reconnect attempts back off from 10 ms to at most a second (Lettuce's
     * default grows to 30 s, which kept a replica off a Redis that was back for half a minute).
     */
    private static final ClientResources RESOURCES = ClientResources.builder()
            .reconnectDelay(Delay.exponential(Duration.ofMillis(10), Duration.ofSeconds(1), 2, TimeUnit.MILLISECONDS))
            .nettyCustomizer(new NettyCustomizer() {
                @Override
                public void afterChannelInitialized(Channel channel) {
                    // Commands from many requests at once leave in one write instead of one write (and one Redis
                    // read and reply) each: flushes asked for while the connection's event loop is busy are
                    // coalesced into one at the end of its turn (at the latest after 256).
                    channel.pipeline().addFirst(new FlushConsolidationHandler(256, true));
                }
            })
            .build();

    public static RedisClient create(String url, Duration commandTimeout) {
        return create(RedisURI.create(url), commandTimeout);
    }

    public static RedisClient create(RedisURI uri, Duration commandTimeout) {
        RedisClient client = RedisClient.create(RESOURCES, uri);
        client.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .timeoutOptions(TimeoutOptions.enabled(commandTimeout))
                .socketOptions(SOCKET)
                .build());
        return client;
    }

    /**
     * A Redis Cluster client from seed nodes, with a topology that follows failovers and slot moves (refreshed on
     * MOVED/ASK and reconnects, and every 30 s). Commands are not rejected while disconnected, as they are for one
     * node: Lettuce connects to each cluster node lazily and, told to reject, refuses every command that waits for
     * a node's first connection. The command timeout bounds the wait instead, and the circuit breaker above it
     * keeps the request path off a Redis that timed out.
     */
    public static RedisClusterClient cluster(List<RedisURI> seeds, Duration commandTimeout) {
        RedisClusterClient client = RedisClusterClient.create(RESOURCES, seeds);
        client.setOptions(ClusterClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.ACCEPT_COMMANDS)
                .timeoutOptions(TimeoutOptions.enabled(commandTimeout))
                .socketOptions(SOCKET)
                .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                        .enablePeriodicRefresh(Duration.ofSeconds(30))
                        .enableAllAdaptiveRefreshTriggers()
                        .build())
                .build());
        return client;
    }

    private static final SocketOptions SOCKET = SocketOptions.builder().connectTimeout(Duration.ofSeconds(2)).build();
}
