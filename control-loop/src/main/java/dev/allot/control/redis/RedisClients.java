package dev.allot.control.redis;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;

import java.time.Duration;

/**
 * The one place Lettuce clients are configured. Commands fail fast while Redis is unreachable instead of
 * queueing (Lettuce's default would hold a request for up to a minute), because every caller has a fallback:
 * the write-behind log keeps writes, decisions go on with the last known lambda.
 */
public final class RedisClients {

    private RedisClients() {
    }

    public static RedisClient create(String url, Duration commandTimeout) {
        RedisClient client = RedisClient.create(RedisURI.create(url));
        client.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .timeoutOptions(TimeoutOptions.enabled(commandTimeout))
                .socketOptions(SocketOptions.builder().connectTimeout(Duration.ofSeconds(2)).build())
                .build());
        return client;
    }
}
