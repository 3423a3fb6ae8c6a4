package dev.allot.bench.http;

import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * An open-loop load generator: decision requests sent at a fixed rate whatever the service's answers do, each
 * request's latency measured from the moment it was meant to be sent (so a stalled server is charged for the
 * requests it delayed: no coordinated omission), recorded in an HdrHistogram. The bodies are those of
 * {@code benchmarks/wrk/decisions.lua}: distinct users, varied features.
 *
 * <pre>java -cp benchmarks.jar dev.allot.bench.http.OpenLoop URL RATE SECONDS [CONNECTIONS] [WARMUP_SECONDS]</pre>
 * prints a summary and one {@code RESULT} line for scripts.
 *
 * <p>It runs on the server's two cores, so what it spends a request is taken from the server it measures. It is
 * plain NIO, HTTP/1.1 keep-alive with one request at a time per connection, as lean as {@code wrk}: the sending
 * thread writes each request's bytes, built in place, straight to an idle connection; one I/O thread reads the
 * answers, finds the status and {@code Content-Length}, records the latency and, when requests are waiting for a
 * connection, writes the oldest on the one just freed. The Vert.x client it replaces spent about as much CPU a
 * request as the service's own event loops (docs/benchmarks.md).
 */
public final class OpenLoop implements AutoCloseable {

    private static final String[] SEGMENTS = {"new", "low_frequency", "medium_frequency", "high_frequency", "churned"};
    private static final byte[] USER_PREFIX = "{\"city\":\"demo\",\"userId\":\"open-".getBytes(StandardCharsets.US_ASCII);
    /** Feature parts of the bodies, made once. */
    private static final byte[][] FEATURES = new byte[4_096][];
    private static final byte[] CONTENT_LENGTH = "content-length:".getBytes(StandardCharsets.US_ASCII);

    static {
        for (int i = 0; i < FEATURES.length; i++) {
            FEATURES[i] = String.format(Locale.ROOT, "\",\"segment\":\"%s\",\"features\":{\"rides_30d\":%d,"
                            + "\"days_since_first_ride\":%d,\"avg_fare\":%.1f,\"hour\":%d}}",
                    SEGMENTS[i % 5], i % 30, (i * 37) % 2000, 10.0 + i % 13, i % 24).getBytes(StandardCharsets.US_ASCII);
        }
    }

    /**
     * At most one wake-up of the sending thread in this time: above 10,000 requests a second, the requests that fell
     * due meanwhile go together. A wake-up per request costs the generator CPU the server then lacks; sending up to
     * this late is charged to the server (latency counts from each request's intended time), never hidden.
     */
    private static final long BATCH_NANOS = TimeUnit.MICROSECONDS.toNanos(100);

    /**
     * What one measured run saw. {@code unanswered}: requests of the run neither answered nor failed 30 s after the
     * last was due (the slowest of all, so a run with any is overload, whatever its percentiles say).
     */
    public record Result(double rate, int seconds, long sent, long ok, long non200, long failed, long unanswered,
                         Histogram latency) {
        double ms(double percentile) {
            return latency.getValueAtPercentile(percentile) / 1000.0;
        }
    }

    private static final long HIGHEST_MICROS = TimeUnit.SECONDS.toMicros(60);

    private final InetSocketAddress address;
    private final byte[] requestHead;
    private final Selector selector;
    private final Connection[] connections;
    private final Thread io;
    private final boolean perSecond;
    /** Each thread that sends builds requests in its own buffer (the sending thread, and the I/O thread). */
    private final ByteBuffer senderOut = ByteBuffer.allocateDirect(1_024);
    private final ByteBuffer ioOut = ByteBuffer.allocateDirect(1_024);

    /**
     * Guards which connections are idle, the requests waiting for one, and each connection's request: shared by the
     * sending and the I/O threads. There is never an idle connection and a waiting request at once.
     */
    private final Object matching = new Object();
    /**
     * Idle connections, the longest idle first (a ring): every connection carries its share, as a fleet of clients'
     * would, and so does each of the server's event loops; taking the last freed one kept a few connections (and the
     * loop that owns them) busy and the rest idle.
     */
    private final Connection[] idle;
    private int idleHead;
    private int idleCount;
    /** Requests waiting for a connection, oldest first (a ring that grows): intended send times and runs. */
    private long[] waitingTimes = new long[1_024];
    private int[] waitingRuns = new int[1_024];
    private int waitingHead;
    private int waitingCount;

    /** The run being measured; an answer to a request of an earlier run (the warm-up) is not counted. */
    private volatile int run;
    /** Numbers the users: each request is a new one, as in the wrk script. */
    private final AtomicLong users = new AtomicLong();
    private volatile boolean closed;

    // Written by the I/O thread under this object's monitor, read by the sending thread under it.
    private int recordedRun;
    private final Histogram latency = new Histogram(HIGHEST_MICROS, 3);
    /** This second's latencies, printed each second with {@code -Dopenloop.seconds=true}: is the tail periodic? */
    private final Histogram second = new Histogram(HIGHEST_MICROS, 2);
    private long secondStarted = System.nanoTime();
    private long ok;
    private long non200;
    private long failed;
    private volatile Throwable ioFailure;

    /** How long a run waits for its answers after its last request was due. */
    private final long answerWaitNanos;

    public OpenLoop(URI url, int connections, boolean perSecond) throws IOException {
        this(url, connections, perSecond, TimeUnit.SECONDS.toNanos(30));
    }

    OpenLoop(URI url, int connections, boolean perSecond, long answerWaitNanos) throws IOException {
        this.answerWaitNanos = answerWaitNanos;
        this.address = new InetSocketAddress(url.getHost(), url.getPort());
        this.perSecond = perSecond;
        this.requestHead = ("POST /v1/decisions HTTP/1.1\r\nhost: " + url.getHost() + ":" + url.getPort()
                + "\r\ncontent-type: application/json\r\ncontent-length: ").getBytes(StandardCharsets.US_ASCII);
        this.selector = Selector.open();
        this.connections = new Connection[connections];
        this.idle = new Connection[connections];
        for (int i = 0; i < connections; i++) {
            this.connections[i] = connect();
            idle[idleCount++] = this.connections[i];
            // idleHead stays 0: the ring starts full, in order.
        }
        this.io = new Thread(this::readLoop, "openloop-io");
        io.setDaemon(true);
        io.start();
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
        try (OpenLoop load = new OpenLoop(url, connections, Boolean.getBoolean("openloop.seconds"))) {
            // The warm-up records too, into what the measured run then clears, so the generator's own code is
            // compiled before the measured run rather than during its first seconds.
            load.run(rate, warmup);
            report(load.run(rate, seconds));
        }
    }

    /** Sends at {@code rate} for {@code seconds}, then waits for the answers (at most 30 s) and returns them. */
    public Result run(double rate, int seconds) throws InterruptedException {
        int current = run + 1;
        run = current;
        long period = Math.round(1e9 / rate);
        long total = Math.round(rate * seconds);
        long start = System.nanoTime();
        long sent = 0;
        while (sent < total) {
            failIfIoFailed();
            long now = System.nanoTime();
            long due = Math.min(total, (now - start) / period + 1);
            for (; sent < due; sent++) {
                Connection free = take(start + sent * period, current);
                if (free != null) {
                    send(free, senderOut);
                }
            }
            long wakeAt = Math.max(start + sent * period, now + BATCH_NANOS);
            for (long wait = wakeAt - System.nanoTime(); wait > 0 && sent < total; wait = wakeAt - System.nanoTime()) {
                LockSupport.parkNanos(wait);
            }
        }
        long deadline = System.nanoTime() + answerWaitNanos;
        while (counted(current) < total && System.nanoTime() < deadline) {
            failIfIoFailed();
            Thread.sleep(10);
        }
        synchronized (this) {
            if (recordedRun != current) {
                // Not one answer of this run came back.
                return new Result(rate, seconds, sent, 0, 0, 0, total, new Histogram(HIGHEST_MICROS, 3));
            }
            return new Result(rate, seconds, sent, ok, non200, failed, total - (ok + non200 + failed), latency.copy());
        }
    }

    private void failIfIoFailed() {
        if (ioFailure != null) {
            throw new IllegalStateException("the generator's I/O thread failed", ioFailure);
        }
    }

    /** Answers (and failures) counted for {@code of}, 0 until the I/O thread has started counting it. */
    private synchronized long counted(int of) {
        return recordedRun == of ? ok + non200 + failed : 0;
    }

    /** An idle connection given the request, or null when all are busy and the request waits for one. */
    private Connection take(long intended, int ofRun) {
        synchronized (matching) {
            if (idleCount == 0) {
                enqueue(intended, ofRun);
                return null;
            }
            Connection c = idle[idleHead];
            idleHead = (idleHead + 1) % idle.length;
            idleCount--;
            c.assign(intended, ofRun);
            return c;
        }
    }

    /**
     * A connection whose request is done: given the oldest waiting request of the current run (returned, to be
     * sent) or made idle (null). Waiting requests of an earlier run were reported as unanswered by it and go.
     */
    private Connection release(Connection c) {
        synchronized (matching) {
            while (waitingCount > 0) {
                long intended = waitingTimes[waitingHead];
                int ofRun = waitingRuns[waitingHead];
                waitingHead = (waitingHead + 1) % waitingTimes.length;
                waitingCount--;
                if (ofRun == run) {
                    c.assign(intended, ofRun);
                    return c;
                }
            }
            c.busy = false;
            idle[(idleHead + idleCount++) % idle.length] = c;
            return null;
        }
    }

    private void enqueue(long intended, int ofRun) {
        if (waitingCount == waitingTimes.length) {
            long[] times = new long[waitingTimes.length * 2];
            int[] runs = new int[times.length];
            for (int i = 0; i < waitingCount; i++) {
                times[i] = waitingTimes[(waitingHead + i) % waitingTimes.length];
                runs[i] = waitingRuns[(waitingHead + i) % waitingTimes.length];
            }
            waitingTimes = times;
            waitingRuns = runs;
            waitingHead = 0;
        }
        int at = (waitingHead + waitingCount++) % waitingTimes.length;
        waitingTimes[at] = intended;
        waitingRuns[at] = ofRun;
    }

    private Connection connect() throws IOException {
        SocketChannel channel = SocketChannel.open(address);
        channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        channel.configureBlocking(false);
        Connection c = new Connection(channel);
        channel.register(selector, SelectionKey.OP_READ, c);
        return c;
    }

    /** Writes the request assigned to a connection this thread just took or freed, built in this thread's buffer. */
    private void send(Connection c, ByteBuffer out) {
        out.clear();
        long user = users.incrementAndGet();
        byte[] features = FEATURES[(int) (user % FEATURES.length)];
        int bodyLength = USER_PREFIX.length + digits(user) + features.length;
        out.put(requestHead);
        putDecimal(out, bodyLength);
        out.put((byte) '\r').put((byte) '\n').put((byte) '\r').put((byte) '\n');
        out.put(USER_PREFIX);
        putDecimal(out, user);
        out.put(features);
        out.flip();
        try {
            // One request of a few hundred bytes on a connection with nothing else outstanding: the socket's buffer
            // takes it whole.
            while (out.hasRemaining()) {
                if (c.channel.write(out) == 0) {
                    Thread.onSpinWait();
                }
            }
        } catch (IOException e) {
            // The I/O thread replaces the connection and counts its request as failed (unless it already has: then
            // this was the closed connection it replaced).
            c.writeFailed = true;
            selector.wakeup();
        }
    }

    private static int digits(long v) {
        int n = 1;
        for (long x = v; x >= 10; x /= 10) {
            n++;
        }
        return n;
    }

    private static void putDecimal(ByteBuffer out, long v) {
        int n = digits(v);
        int at = out.position();
        long x = v;
        for (int i = n - 1; i >= 0; i--, x /= 10) {
            out.put(at + i, (byte) ('0' + x % 10));
        }
        out.position(at + n);
    }

    private void readLoop() {
        try {
            while (!closed) {
                selector.select(100);
                for (SelectionKey key : selector.selectedKeys()) {
                    read((Connection) key.attachment());
                }
                selector.selectedKeys().clear();
                for (Connection c : connections) {
                    if (c.writeFailed) {
                        c.writeFailed = false;
                        fail(c);
                    }
                }
                tick();
            }
        } catch (Throwable e) {
            if (!closed) {
                ioFailure = e;
            }
        }
    }

    private void read(Connection c) throws IOException {
        int n;
        try {
            n = c.channel.read(c.in);
        } catch (IOException e) {
            n = -1;
        }
        if (n < 0 || !c.busy) {
            // Closed, or bytes with no request outstanding (a server's 408 before it closes an idle connection).
            fail(c);
            return;
        }
        int status = answer(c.in);
        if (status == 0) {
            if (!c.in.hasRemaining()) {
                // An answer larger than the buffer: not a decision's.
                fail(c);
            }
            return;
        }
        c.in.clear();
        answered(c, status);
    }

    /** The status of the answer in {@code in} once it is whole, 0 while it is not. */
    static int answer(ByteBuffer in) {
        int end = in.position();
        int headEnd = -1;
        for (int i = 12; i + 3 < end; i++) {
            if (in.get(i) == '\r' && in.get(i + 1) == '\n' && in.get(i + 2) == '\r' && in.get(i + 3) == '\n') {
                headEnd = i + 4;
                break;
            }
        }
        if (headEnd < 0) {
            return 0;
        }
        int length = contentLength(in, headEnd);
        if (end < headEnd + length) {
            return 0;
        }
        if (end > headEnd + length) {
            throw new IllegalStateException("bytes after an answer on a connection with one request outstanding");
        }
        return (in.get(9) - '0') * 100 + (in.get(10) - '0') * 10 + (in.get(11) - '0');
    }

    private static int contentLength(ByteBuffer in, int headEnd) {
        for (int line = 0; line < headEnd; ) {
            int next = line;
            while (next < headEnd && in.get(next) != '\n') {
                next++;
            }
            if (next - line > CONTENT_LENGTH.length && startsWithIgnoringCase(in, line, CONTENT_LENGTH)) {
                int v = 0;
                for (int i = line + CONTENT_LENGTH.length; i < next; i++) {
                    byte b = in.get(i);
                    if (b >= '0' && b <= '9') {
                        v = v * 10 + (b - '0');
                    }
                }
                return v;
            }
            line = next + 1;
        }
        throw new IllegalStateException("an answer without content-length (chunked answers are not read)");
    }

    private static boolean startsWithIgnoringCase(ByteBuffer in, int at, byte[] prefix) {
        for (int i = 0; i < prefix.length; i++) {
            if (Character.toLowerCase(in.get(at + i)) != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * Replaces a connection that failed (the server closed it, a write or read failed): its request, if it had one,
     * counts as failed.
     */
    private void fail(Connection c) throws IOException {
        c.channel.close();
        Connection fresh = connect();
        for (int i = 0; i < connections.length; i++) {
            if (connections[i] == c) {
                connections[i] = fresh;
            }
        }
        synchronized (matching) {
            for (int i = 0; i < idleCount; i++) {
                int at = (idleHead + i) % idle.length;
                if (idle[at] == c) {
                    // Idle: no request lost, the fresh connection takes its place.
                    idle[at] = fresh;
                    return;
                }
            }
            // Busy (the sending thread may be writing to the closed channel: its failure is this one).
            fresh.assign(c.intended, c.run);
        }
        answered(fresh, -1);
    }

    /** Counts an answer (status -1: the request failed) and gives the connection the oldest waiting request. */
    private void answered(Connection c, int status) {
        long micros = Math.min(HIGHEST_MICROS, Math.max(1, (System.nanoTime() - c.intended) / 1_000));
        int of = c.run;
        synchronized (this) {
            if (of != recordedRun && of == run) {
                recordedRun = of;
                latency.reset();
                second.reset();
                ok = 0;
                non200 = 0;
                failed = 0;
            }
            if (of == recordedRun) {
                if (status < 0) {
                    // A failure has no latency: a fast reset would flatter the percentiles.
                    failed++;
                } else {
                    latency.recordValue(micros);
                    second.recordValue(micros);
                    if (status == 200) {
                        ok++;
                    } else {
                        non200++;
                    }
                }
            }
        }
        Connection next = release(c);
        if (next != null) {
            send(next, ioOut);
        }
    }

    private void tick() {
        long now = System.nanoTime();
        if (!perSecond || now - secondStarted < TimeUnit.SECONDS.toNanos(1)) {
            return;
        }
        secondStarted = now;
        synchronized (this) {
            System.out.printf(Locale.ROOT, "  second: %d answered, p50 %.1f  p99 %.1f  max %.1f ms%n",
                    second.getTotalCount(), second.getValueAtPercentile(50) / 1000.0,
                    second.getValueAtPercentile(99) / 1000.0, second.getMaxValue() / 1000.0);
            second.reset();
        }
    }

    static void report(Result r) {
        System.out.printf(Locale.ROOT, "open loop at %.0f/s for %d s: %d sent, %d answered 200, %d other status,"
                + " %d failed, %d unanswered%n", r.rate(), r.seconds(), r.sent(), r.ok(), r.non200(), r.failed(),
                r.unanswered());
        System.out.printf(Locale.ROOT, "latency from intended send (ms): p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f"
                        + "  max %.3f%n", r.ms(50), r.ms(90), r.ms(99), r.ms(99.9),
                r.latency().getMaxValue() / 1000.0);
        System.out.printf(Locale.ROOT, "RESULT rate=%.0f sent=%d ok=%d non200=%d failed=%d unanswered=%d p50=%.3f"
                        + " p90=%.3f p99=%.3f p999=%.3f max=%.3f%n", r.rate(), r.sent(), r.ok(), r.non200(), r.failed(),
                r.unanswered(),
                r.ms(50), r.ms(90), r.ms(99), r.ms(99.9), r.latency().getMaxValue() / 1000.0);
    }

    @Override
    public void close() throws IOException {
        closed = true;
        selector.wakeup();
        try {
            io.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Connection c : connections) {
            c.channel.close();
        }
        selector.close();
    }

    private static final class Connection {
        final SocketChannel channel;
        final ByteBuffer in = ByteBuffer.allocateDirect(16_384);
        // Set under the matching lock when a request is assigned; read by the I/O thread once its answer is in.
        volatile long intended;
        volatile int run;
        /** Whether a request is outstanding on it. */
        volatile boolean busy;
        volatile boolean writeFailed;

        void assign(long intendedNanos, int ofRun) {
            intended = intendedNanos;
            run = ofRun;
            busy = true;
        }

        Connection(SocketChannel channel) {
            this.channel = channel;
        }
    }
}
