package dev.allot.app;

import com.fasterxml.jackson.databind.JsonNode;
import dev.allot.engine.Json;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code allot serve} in a JVM of its own, as a pod runs it: signals are real (SIGTERM runs the shutdown hook,
 * SIGKILL runs nothing), and its data directory outlives it like a volume. Output goes to a log file the test
 * reads.
 */
final class ServiceProcess implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final Process process;
    private final int port;
    final Path log;

    private ServiceProcess(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /** Starts the service on a free port and waits until it answers {@code /health/live}. */
    static ServiceProcess start(Path root, String redisUrl, Path dataDir) throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Path log = Files.createTempFile(root, "service-", ".log");
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx384m", "-XX:+ExitOnOutOfMemoryError", "-cp", System.getProperty("java.class.path"),
                "dev.allot.app.Main", "serve", "--host", "127.0.0.1", "--port", Integer.toString(port),
                "--config-dir", root.resolve("cities").toString(), "--rules-dir", root.resolve("rules").toString(),
                "--data-dir", dataDir.toString()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().put("REDIS_URL", redisUrl);
        builder.environment().put("ALLOT_ADMIN_TOKEN", ServiceFixture.ADMIN_TOKEN);
        ServiceProcess service = new ServiceProcess(builder.start(), port, log);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            if (!service.process.isAlive()) {
                throw new IllegalStateException("service exited with " + service.process.exitValue() + ":\n"
                        + Files.readString(log));
            }
            try {
                if (service.get("/health/live").statusCode() == 200) {
                    return service;
                }
            } catch (IOException e) {
                // Not listening yet.
            }
            if (System.nanoTime() > deadline) {
                service.kill();
                throw new IllegalStateException("service not live in 60 s:\n" + Files.readString(log));
            }
            Thread.sleep(100);
        }
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Authorization", "Bearer " + ServiceFixture.ADMIN_TOKEN).timeout(Duration.ofSeconds(10))
                .GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> post(String path, String body) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("content-type", "application/json").timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    JsonNode json(String path) throws IOException, InterruptedException {
        return Json.MAPPER.readTree(get(path).body());
    }

    long pid() {
        return process.pid();
    }

    /** SIGTERM, without waiting. */
    void signalTerm() {
        process.destroy();
    }

    /** SIGTERM, as Kubernetes stops a pod; waits for the exit and returns its code. */
    int terminate() throws InterruptedException {
        process.destroy();
        return awaitExit();
    }

    /** Waits for the process to end (at most 40 s) and returns its exit code. */
    int awaitExit() throws InterruptedException {
        if (!process.waitFor(40, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
            throw new IllegalStateException("service did not stop within 40 s of SIGTERM");
        }
        return process.exitValue();
    }

    /** SIGKILL: no shutdown hook runs. */
    void kill() throws InterruptedException {
        process.destroyForcibly().waitFor();
    }

    String output() throws IOException {
        return Files.readString(log);
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
    }
}
