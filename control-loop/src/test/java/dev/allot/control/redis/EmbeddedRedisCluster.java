package dev.allot.control.redis;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import redis.embedded.RedisServer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * A real three-master Redis Cluster on loopback: three redis-server processes (Debian's when installed) in cluster
 * mode, the 16,384 slots
 * split between them and the nodes introduced to each other (CLUSTER ADDSLOTS and MEET, what
 * {@code redis-cli --cluster create} does), ready when every node reports {@code cluster_state:ok}.
 */
public final class EmbeddedRedisCluster implements AutoCloseable {

    private static final int SLOTS = 16_384;
    /** Debian's redis-server, which .ci/run installs; without it, the binary embedded-redis ships (6.2). */
    private static final Path DEBIAN_REDIS = Path.of("/usr/bin/redis-server");

    private final List<RedisServer> servers = new ArrayList<>();
    private final List<Integer> ports = new ArrayList<>();

    private EmbeddedRedisCluster() {
    }

    public static EmbeddedRedisCluster start(int masters) throws Exception {
        EmbeddedRedisCluster cluster = new EmbeddedRedisCluster();
        try {
            cluster.boot(masters);
        } catch (Exception e) {
            cluster.close();
            throw e;
        }
        return cluster;
    }

    private void boot(int masters) throws Exception {
        Path dir = Files.createTempDirectory("allot-redis-cluster");
        for (int i = 0; i < masters; i++) {
            int port = EmbeddedRedisExtension.freePort();
            var builder = RedisServer.newRedisServer();
            if (Files.isExecutable(DEBIAN_REDIS)) {
                builder.executableProvider(DEBIAN_REDIS::toFile);
            }
            RedisServer server = builder.port(port).bind("127.0.0.1")
                    .setting("cluster-enabled yes").setting("cluster-config-file nodes-" + port + ".conf")
                    .setting("cluster-node-timeout 2000").setting("dir " + dir).setting("save \"\"")
                    .setting("appendonly no").build();
            server.start();
            servers.add(server);
            ports.add(port);
        }
        List<RedisClient> clients = new ArrayList<>();
        List<StatefulRedisConnection<String, String>> nodes = new ArrayList<>();
        try {
            for (int port : ports) {
                RedisClient client = RedisClients.create("redis://127.0.0.1:" + port, Duration.ofSeconds(5));
                clients.add(client);
                nodes.add(client.connect());
            }
            for (int i = 0; i < masters; i++) {
                int from = SLOTS * i / masters;
                int to = SLOTS * (i + 1) / masters;
                nodes.get(i).sync().clusterAddSlots(IntStream.range(from, to).toArray());
            }
            for (int i = 1; i < masters; i++) {
                nodes.get(0).sync().clusterMeet("127.0.0.1", ports.get(i));
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!nodes.stream().allMatch(n -> ready(n, masters))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("Redis Cluster not ready in 30 s: "
                            + nodes.get(0).sync().clusterInfo());
                }
                Thread.sleep(100);
            }
        } finally {
            nodes.forEach(StatefulRedisConnection::close);
            clients.forEach(RedisClient::shutdown);
        }
    }

    private static boolean ready(StatefulRedisConnection<String, String> node, int masters) {
        String info = node.sync().clusterInfo();
        return info.contains("cluster_state:ok") && info.contains("cluster_known_nodes:" + masters)
                && info.contains("cluster_slots_assigned:" + SLOTS);
    }

    /** The URL the service takes for this cluster: every node as a seed. */
    public String url() {
        return "redis-cluster://" + ports.stream().map(p -> "127.0.0.1:" + p).collect(Collectors.joining(","));
    }

    public List<Integer> ports() {
        return List.copyOf(ports);
    }

    @Override
    public void close() throws IOException {
        for (RedisServer server : servers) {
            server.stop();
        }
    }
}
