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
import java.nio.file.Path;
import java.time.Duration;

/**
 * A real redis-server (embedded-redis) on a free loopback port for a test class, with a way to take it down
 * and bring it back on the same port to test outages. Register with {@code @RegisterExtension static}.
 */
public final class EmbeddedRedisExtension implements BeforeAllCallback, AfterAllCallback, AutoCloseable {

    private int port;
    private RedisServer server;
    private RedisClient client;
    /** Where an append-only file is kept, fsynced on every write; null: no persistence. */
    private final Path aofDir;

    public EmbeddedRedisExtension() {
        this(null);
    }

    private EmbeddedRedisExtension(Path aofDir) {
        this.aofDir = aofDir;
    }

    /** A server that keeps an append-only file in {@code dir} (fsync always): a restart finds its data. */
    public static EmbeddedRedisExtension withAof(Path dir) {
        return new EmbeddedRedisExtension(dir);
    }

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        open();
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException {
        close();
    }

    /** Picks a free port and starts the server (what {@code beforeAll} does), for use outside an extension. */
    public EmbeddedRedisExtension open() throws IOException {
        port = freePort();
        start();
        client = RedisClients.create(url(), Duration.ofMillis(500));
        return this;
    }

    /** A port with nothing listening on it now, for a Redis to be started there later. */
    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** Picks {@code port} and creates the client without starting the server (a Redis that is down at first). */
    public EmbeddedRedisExtension onPortNotStarted(int port) {
        this.port = port;
        client = RedisClients.create(url(), Duration.ofMillis(500));
        return this;
    }

    @Override
    public void close() {
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
            var builder = RedisServer.newRedisServer().port(port).bind("127.0.0.1").setting("save \"\"");
            if (aofDir == null) {
                builder.setting("appendonly no");
            } else {
                builder.setting("appendonly yes").setting("appendfsync always").setting("dir " + aofDir);
            }
            server = builder.build();
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
