package dev.allot.app;

import dev.allot.control.redis.EmbeddedRedisCluster;
import dev.allot.control.redis.RedisClients;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import java.time.Duration;

/**
 * {@link ThreeReplicasContract} on a three-master Redis Cluster: every key of a city under its hash tag, so each
 * script touches one slot; scripts by EVALSHA, loaded on a node at its first NOSCRIPT.
 */
class ClusterReplicasTest extends ThreeReplicasContract {

    static EmbeddedRedisCluster cluster;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = EmbeddedRedisCluster.start(3);
    }

    @AfterAll
    static void stopCluster() throws Exception {
        cluster.close();
    }

    @Override
    String redisUrl() {
        return cluster.url();
    }

    @Override
    void emptyRedis() {
        for (int port : cluster.ports()) {
            RedisClient client = RedisClients.create("redis://127.0.0.1:" + port, Duration.ofSeconds(5));
            try (StatefulRedisConnection<String, String> node = client.connect()) {
                node.sync().flushall();
            } finally {
                client.shutdown();
            }
        }
    }
}
