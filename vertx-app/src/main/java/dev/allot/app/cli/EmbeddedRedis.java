package dev.allot.app.cli;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.embedded.RedisServer;

import java.io.IOException;
import java.net.ServerSocket;

/**
 * The redis-server that {@code serve} starts when no {@code REDIS_URL} is given, on a free loopback port, with
 * no persistence. Stopped on JVM exit (SIGTERM/SIGINT); a {@code kill -9} leaves the child running, as any
 * child process would.
 */
public final class EmbeddedRedis implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedRedis.class);

    private final RedisServer server;
    private final int port;

    private EmbeddedRedis(RedisServer server, int port) {
        this.server = server;
        this.port = port;
    }

    public static EmbeddedRedis start() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        RedisServer server = RedisServer.newRedisServer().port(port).bind("127.0.0.1").setting("save \"\"")
                .setting("appendonly no").build();
        server.start();
        EmbeddedRedis redis = new EmbeddedRedis(server, port);
        Runtime.getRuntime().addShutdownHook(new Thread(redis::close, "embedded-redis-stop"));
        LOG.info("Started embedded Redis on 127.0.0.1:{} (set REDIS_URL to use a real server)", port);
        return redis;
    }

    public String url() {
        return "redis://127.0.0.1:" + port;
    }

    @Override
    public void close() {
        try {
            server.stop();
        } catch (IOException e) {
            LOG.warn("Could not stop embedded Redis: {}", e.getMessage());
        }
    }
}
