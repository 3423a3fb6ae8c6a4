package dev.allot.bench.http;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import org.HdrHistogram.Histogram;

import java.net.URI;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * An open-loop load generator: decision requests sent at a fixed rate whatever the service's answers do, each
 * request's latency measured from the moment it was meant to be sent (so a stalled server is charged for the
 * requests it delayed: no coordinated omission), recorded in an HdrHistogram. The bodies are those of
 * {@code benchmarks/wrk/decisions.lua}: distinct users, varied features.
 *
 * <pre>java -cp benchmarks.jar dev.allot.bench.http.OpenLoop URL RATE SECONDS [CONNECTIONS] [WARMUP_SECONDS]</pre>
 * prints a summary and one {@code RESULT} line for scripts.
 */
public final class OpenLoop {

    private static final String[] SEGMENTS = {"new", "low_frequency", "medium_frequency", "high_frequency", "churned"};

    private final Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    private final HttpClientAgent client;
    private final String host;
    private final int port;
    private final Histogram latency = new Histogram(TimeUnit.SECONDS.toMicros(60), 3);
    /** This second's latencies, printed each second with {@code -Dopenloop.seconds=true}: is the tail periodic? */
    private final Histogram second = new Histogram(TimeUnit.SECONDS.toMicros(60), 2);
    private static final boolean PER_SECOND = Boolean.getBoolean("openloop.seconds");
    private long sent;
    private long completed;
    private long failed;
    private long non200;
    private long counter;
    /** Which run a request belongs to: a warm-up answer arriving late is not counted in the measured run. */
    private int run;

    private OpenLoop(URI url, int connections) {
        this.host = url.getHost();
        this.port = url.getPort();
        client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setConnectTimeout(5_000),
                new PoolOptions().setHttp1MaxSize(connections).setMaxWaitQueueSize(-1));
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: OpenLoop URL RATE SECONDS [CONNECTIONS] [WARMUP_SECONDS]");
            System.exit(2);
        }
        URI url = URI.create(args[0]);
        double rate = Double.parseDouble(args[1]);
        int seconds = Integer.parseInt(args[2]);
        int connections = args.length > 3 ? Integer.parseInt(args[3]) : 64;
        int warmup = args.length > 4 ? Integer.parseInt(args[4]) : 5;
        OpenLoop load = new OpenLoop(url, connections);
        try {
            load.run(rate, warmup, false);
            load.run(rate, seconds, true);
            load.report(rate, seconds);
        } finally {
            load.vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    /**
     * At most one hand-off from the sender thread to the client's event loop in this time: above 4,000 requests a
     * second, the requests that fell due meanwhile go together. A wake-up and a hand-off per request cost the
     * generator more CPU than the server it measures spends on a request, on the same two cores; sending up to
     * this late is charged to the server (latency counts from each request's intended time), never hidden.
     */
    private static final long BATCH_NANOS = TimeUnit.MICROSECONDS.toNanos(250);

    /**
     * Sends at {@code rate} for {@code seconds}, then waits for the answers (at most 30 s). A sender thread parks
     * until the next request's intended time, or {@link #BATCH_NANOS} at higher rates, and hands what is due to the
     * client's event loop, where everything is counted.
     */
    private void run(double rate, int seconds, boolean record) throws Exception {
        io.vertx.core.Context context = vertx.getOrCreateContext();
        CompletableFuture<Void> reset = new CompletableFuture<>();
        context.runOnContext(v -> {
            run++;
            sent = 0;
            completed = 0;
            // The warm-up records too, into what is cleared here, so the generator's own recording code is
            // compiled before the measured run rather than during its first seconds.
            failed = 0;
            non200 = 0;
            latency.reset();
            second.reset();
            reset.complete(null);
        });
        reset.get(10, TimeUnit.SECONDS);
        long timer = !PER_SECOND ? -1 : vertx.setPeriodic(1_000, id -> {
            System.out.printf(Locale.ROOT, "  %s: %d answered, p50 %.1f  p99 %.1f  max %.1f ms%n",
                    record ? "second" : "warm-up second", second.getTotalCount(), second.getValueAtPercentile(50) / 1000.0,
                    second.getValueAtPercentile(99) / 1000.0, second.getMaxValue() / 1000.0);
            second.reset();
        });
        long period = Math.round(1e9 / rate);
        long total = Math.round(rate * seconds);
        long start = System.nanoTime();
        for (long i = 0; i < total; ) {
            long now = System.nanoTime();
            long due = Math.min(total, (now - start) / period + 1);
            if (due > i) {
                long from = i;
                context.runOnContext(v -> {
                    for (long k = from; k < due; k++) {
                        sent++;
                        send(start + k * period);
                    }
                });
                i = due;
            }
            long wakeAt = Math.max(start + i * period, now + BATCH_NANOS);
            for (long wait = wakeAt - System.nanoTime(); wait > 0; wait = wakeAt - System.nanoTime()) {
                java.util.concurrent.locks.LockSupport.parkNanos(wait);
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            CompletableFuture<Boolean> finished = new CompletableFuture<>();
            context.runOnContext(v -> finished.complete(completed == total));
            if (finished.get(10, TimeUnit.SECONDS)) {
                vertx.cancelTimer(timer);
                return;
            }
            Thread.sleep(10);
        }
    }

    /** Feature parts of the bodies, made once: the generator's own CPU is taken from the server it measures. */
    private static final String[] FEATURES = new String[4_096];

    static {
        for (int i = 0; i < FEATURES.length; i++) {
            FEATURES[i] = String.format(Locale.ROOT, "\",\"segment\":\"%s\",\"features\":{\"rides_30d\":%d,"
                            + "\"days_since_first_ride\":%d,\"avg_fare\":%.1f,\"hour\":%d}}",
                    SEGMENTS[i % 5], i % 30, (i * 37) % 2000, 10.0 + i % 13, i % 24);
        }
    }

    private void send(long intended) {
        counter++;
        // A distinct user each time, as in the wrk script.
        String body = "{\"city\":\"demo\",\"userId\":\"open-" + counter + FEATURES[(int) (counter % FEATURES.length)];
        int of = run;
        client.request(new RequestOptions().setMethod(HttpMethod.POST).setHost(host).setPort(port)
                        .setURI("/v1/decisions").putHeader("content-type", "application/json"))
                .compose(request -> request.send(Buffer.buffer(body)))
                .compose(response -> response.body().map(b -> response.statusCode()))
                .onComplete(ar -> {
                    if (of != run) {
                        return;
                    }
                    completed++;
                    if (ar.failed()) {
                        failed++;
                    } else if (ar.result() != 200) {
                        non200++;
                    }
                    long micros = Math.max(1, (System.nanoTime() - intended) / 1_000);
                    latency.recordValue(micros);
                    second.recordValue(micros);
                });
    }

    private void report(double rate, int seconds) {
        long ok = latency.getTotalCount() - failed - non200;
        System.out.printf(Locale.ROOT, "open loop at %.0f/s for %d s: %d sent, %d answered 200, %d other status,"
                        + " %d failed%n", rate, seconds, sent, ok, non200, failed);
        System.out.printf(Locale.ROOT, "latency from intended send (ms): p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f"
                        + "  max %.3f%n", ms(50), ms(90), ms(99), ms(99.9), latency.getMaxValue() / 1000.0);
        System.out.printf(Locale.ROOT, "RESULT rate=%.0f sent=%d ok=%d non200=%d failed=%d p50=%.3f p90=%.3f"
                        + " p99=%.3f p999=%.3f max=%.3f%n", rate, sent, ok, non200, failed, ms(50), ms(90), ms(99),
                ms(99.9), latency.getMaxValue() / 1000.0);
    }

    private double ms(double percentile) {
        return latency.getValueAtPercentile(percentile) / 1000.0;
    }
}
