package dev.allot.control.redis;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;

import java.time.Duration;
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
            .build();

    public static RedisClient create(String url, Duration commandTimeout) {
        RedisClient client = RedisClient.create(RESOURCES, RedisURI.create(url));
        client.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .timeoutOptions(TimeoutOptions.enabled(commandTimeout))
                .socketOptions(SocketOptions.builder().connectTimeout(Duration.ofSeconds(2)).build())
                .build());
        return client;
    }
}
