package dev.allot.app;

import dev.allot.control.redis.EmbeddedRedisExtension;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@link ThreeReplicasContract} on one Redis node. */
class SingleRedisReplicasTest extends ThreeReplicasContract {

    @RegisterExtension
    static final EmbeddedRedisExtension REDIS = new EmbeddedRedisExtension();

    @Override
    String redisUrl() {
        return REDIS.url();
    }

    @Override
    void emptyRedis() {
        REDIS.flushAll();
    }
}
