package dev.allot.control.redis;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import redis.embedded.RedisServer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.time.Duration;

/**
 * A real redis-server (embedded-redis) on a free loopback port for a test class, with a way to take it down
 * and bring it back on the same port to test outages. Register with {@code @RegisterExtension static}.
 */
public final class EmbeddedRedisExtension implements BeforeAllCallback, AfterAllCallback {

    private int port;
    private RedisServer server;
    private RedisClient client;

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        start();
        client = RedisClients.create(url(), Duration.ofMillis(500));
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException {
        client.shutdown();
        stop();
    }

    public String url() {
        return "redis://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    public RedisClient client() {
        return client;
    }

    public StatefulRedisConnection<String, String> connect() {
        return client.connect();
    }

    public void start() {
        try {
            server = RedisServer.newRedisServer().port(port).bind("127.0.0.1").setting("save \"\"")
                    .setting("appendonly no").build();
            server.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public void stop() {
        try {
            if (server != null) {
                server.stop();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public void flushAll() {
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            c.sync().flushall();
        }
    }
}
