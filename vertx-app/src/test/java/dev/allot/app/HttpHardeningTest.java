package dev.allot.app;

import dev.allot.app.http.HttpLimits;
import dev.allot.control.redis.EmbeddedRedisExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What clients can do to the HTTP server over a raw socket: trickled bodies, broken chunked framing, aborted
 * uploads, and ten thousand mutated requests. No 5xx of ours, never an ERROR or a stack trace in the log, and the
 * service counts exactly the decisions it answered.
 */
class HttpHardeningTest {

    @RegisterExtension
    static final EmbeddedRedisExtension REDIS = new EmbeddedRedisExtension();

    static final HttpLimits LIMITS = new HttpLimits(8 * 1024, 600, 800, 5_000);
    static final String VALID = "{\"city\":\"demo\",\"userId\":\"u-%d\",\"segment\":\"new\","
            + "\"features\":{\"rides_30d\":%d},\"attributes\":{\"fraud_risk\":false}}";

    static ServiceFixture service;
    static final ByteArrayOutputStream LOG = new ByteArrayOutputStream();
    static PrintStream originalErr;

    @BeforeAll
    static void start() throws Exception {
        originalErr = System.err;
        System.setErr(new PrintStream(new TeeStream(originalErr, LOG), true, StandardCharsets.UTF_8));
        service = ServiceFixture.start(REDIS, ServiceFixture.BASE_CITY, s -> s.withHttp(LIMITS));
    }

    @AfterAll
    static void stop() {
        service.close();
        System.setErr(originalErr);
    }

    /** Writes to both streams: the log stays visible and the test can read it. */
    static final class TeeStream extends OutputStream {
        private final OutputStream a;
        private final OutputStream b;

        TeeStream(OutputStream a, OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public synchronized void write(int c) throws IOException {
            a.write(c);
            b.write(c);
        }

        @Override
        public synchronized void write(byte[] bytes, int off, int len) throws IOException {
            a.write(bytes, off, len);
            b.write(bytes, off, len);
        }
    }

    private static Socket connect() throws IOException {
        Socket socket = new Socket("127.0.0.1", service.service().port());
        socket.setSoTimeout(3_000);
        return socket;
    }

    /** The status of the response to {@code raw}, 0 if the server closed without one, -1 if it said nothing. */
    static int exchange(byte[] raw, boolean closeAfterSending) throws IOException {
        try (Socket socket = connect()) {
            socket.getOutputStream().write(raw);
            socket.getOutputStream().flush();
            if (closeAfterSending) {
                return -1;
            }
            return status(socket.getInputStream());
        }
    }

    static int status(InputStream in) throws IOException {
        byte[] head = new byte[12];
        int read = 0;
        try {
            while (read < 12) {
                int n = in.read(head, read, 12 - read);
                if (n < 0) {
                    return 0;
                }
                read += n;
            }
        } catch (SocketTimeoutException e) {
            return -1;
        } catch (IOException e) {
            return 0;
        }
        return Integer.parseInt(new String(head, 9, 3, StandardCharsets.US_ASCII));
    }

    static byte[] post(String body, String extraHeaders) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        String head = "POST /v1/decisions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                + bytes.length + "\r\n" + extraHeaders + "\r\n";
        return concat(head.getBytes(StandardCharsets.US_ASCII), bytes);
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void aTrickledBodyGets408AndAnAbortedUploadLeavesNoError() throws Exception {
        try (Socket socket = connect()) {
            byte[] request = post(VALID.formatted(2, 3), "");
            socket.getOutputStream().write(request, 0, request.length - 20);
            socket.getOutputStream().flush();
            assertThat(status(socket.getInputStream())).isEqualTo(408);
        }
        assertThat(exchange(post(VALID.formatted(3, 3), "").clone(), true)).isEqualTo(-1);
        byte[] half = post(VALID.formatted(4, 3), "");
        try (Socket socket = connect()) {
            socket.getOutputStream().write(half, 0, half.length / 2);
        }
        Thread.sleep(200);
        assertThat(LOG.toString(StandardCharsets.UTF_8)).doesNotContain(" ERROR ").doesNotContain("\tat ");
    }

    @Test
    void anAdminCallsBodyIsWaitedForPastTheDecisionsDeadline() throws Exception {
        byte[] body = "{\"kp\":1.0}".getBytes(StandardCharsets.UTF_8);
        byte[] head = ("PUT /v1/admin/cities/demo/pid HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        try (Socket socket = connect()) {
            socket.getOutputStream().write(head);
            socket.getOutputStream().write(body, 0, 2);
            socket.getOutputStream().flush();
            // Nothing by 1.5 s, past a decision's deadline (800 ms): admin calls have their own (5 s here).
            socket.setSoTimeout(1_500);
            assertThat(status(socket.getInputStream())).isEqualTo(-1);
            socket.setSoTimeout(3_000);
            socket.getOutputStream().write(body, 2, body.length - 2);
            socket.getOutputStream().flush();
            assertThat(status(socket.getInputStream())).isPositive().isNotEqualTo(408);
        }
    }

    @Test
    void anUnknownHttpVersionIsABadRequest() throws Exception {
        String request = "GET /health/live HTTP/9.9\r\nHost: x\r\n\r\n";
        assertThat(exchange(request.getBytes(StandardCharsets.US_ASCII), false)).isEqualTo(400);
    }

    @Test
    void slowHeadersAreCutOffAtTheHeaderDeadlineAndTheServiceStaysHealthy() throws Exception {
        int clients = 200;
        List<Socket> sockets = new ArrayList<>();
        long[] closedAfter = new long[clients];
        long started = System.nanoTime();
        try {
            for (int i = 0; i < clients; i++) {
                Socket socket = connect();
                socket.setSoTimeout(1);
                socket.getOutputStream().write("POST /v1/decisions HTTP/1.1\r\nHost: x\r\nX-Slow: "
                        .getBytes(StandardCharsets.US_ASCII));
                sockets.add(socket);
            }
            // One header byte per client every 100 ms, for up to 3 s: never a complete header block.
            int open = clients;
            while (open > 0 && System.nanoTime() - started < 3_000_000_000L) {
                Thread.sleep(100);
                open = 0;
                for (int i = 0; i < clients; i++) {
                    if (closedAfter[i] != 0) {
                        continue;
                    }
                    if (closedByServer(sockets.get(i))) {
                        closedAfter[i] = (System.nanoTime() - started) / 1_000_000;
                    } else {
                        open++;
                    }
                }
            }
            long held = java.util.Arrays.stream(closedAfter).filter(t -> t == 0).count();
            long latest = java.util.Arrays.stream(closedAfter).max().orElse(0);
            originalErr.println("slowloris: " + clients + " connections, " + held + " still held after 3 s,"
                    + " last closed after " + latest + " ms (header deadline " + LIMITS.headerTimeoutMillis() + " ms)");
            assertThat(held).as("connections the server still holds").isZero();
            assertThat(latest).as("ms until the last was closed").isLessThan(LIMITS.headerTimeoutMillis() + 1_000);
        } finally {
            for (Socket s : sockets) {
                s.close();
            }
        }
        assertThat(service.get("/metrics").text()).containsPattern("allot_http_header_timeouts_total [1-9]");
        assertThat(exchange(post(VALID.formatted(7, 1), ""), false)).isEqualTo(200);
        assertThat(LOG.toString(StandardCharsets.UTF_8)).doesNotContain(" ERROR ").doesNotContain("\tat ");
    }

    /** Sends one more header byte; true when the server has closed the connection. */
    private static boolean closedByServer(Socket socket) {
        try {
            socket.getOutputStream().write('x');
            socket.getOutputStream().flush();
            return socket.getInputStream().read() < 0;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    @Test
    void brokenChunkedFramingGets400OrAQuietClose() throws Exception {
        String chunked = "POST /v1/decisions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Transfer-Encoding: chunked\r\n\r\nZZZ\r\n{\"city\":\"demo\"}\r\n0\r\n\r\n";
        assertThat(exchange(chunked.getBytes(StandardCharsets.US_ASCII), false)).isIn(0, 400);
        assertThat(LOG.toString(StandardCharsets.UTF_8)).doesNotContain(" ERROR ").doesNotContain("\tat ");
    }

    @Test
    void tenThousandMutatedRequestsGetNoServerErrorAndEveryAnsweredDecisionIsCounted() throws Exception {
        service.flushAndRefresh();
        long before = service.service().decisions().city("demo").totals().decisions();
        Map<Integer, AtomicLong> statuses = new ConcurrentHashMap<>();
        AtomicLong decided = new AtomicLong();
        AtomicLong unknownVersions = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<?>> work = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            long seed = 1000 + t;
            work.add(pool.submit(() -> {
                SplittableRandom random = new SplittableRandom(seed);
                for (int i = 0; i < 2_500; i++) {
                    Fuzz.Case c = Fuzz.next(random, seed * 10_000 + i);
                    int status;
                    try {
                        status = exchange(c.bytes(), c.closeAfterSending());
                    } catch (IOException e) {
                        status = 0;
                    }
                    statuses.computeIfAbsent(status, s -> new AtomicLong()).incrementAndGet();
                    if (status == 200 && c.decision()) {
                        decided.incrementAndGet();
                    }
                    if (c.unknownVersion()) {
                        unknownVersions.incrementAndGet();
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : work) {
            f.get();
        }
        pool.shutdown();

        originalErr.println("fuzz statuses: " + statuses);
        // An unknown HTTP version ("HTTP/9.9") is a bad request too: Vert.x's own answer would be 501.
        assertThat(unknownVersions.get()).as("the fuzz sends unknown versions").isPositive();
        assertThat(statuses.keySet()).allMatch(s -> s < 500);
        assertThat(statuses.values().stream().mapToLong(AtomicLong::get).sum()).isEqualTo(10_000);
        assertThat(statuses.get(200)).as("some mutations stay valid").isNotNull();
        assertThat(statuses.get(400)).as("most do not").isNotNull();
        String log = LOG.toString(StandardCharsets.UTF_8);
        assertThat(log).doesNotContain(" ERROR ").doesNotContain("\tat ");

        assertThat(service.get("/health/ready").status()).isEqualTo(200);
        assertThat(exchange(post(VALID.formatted(99, 1), ""), false)).isEqualTo(200);
        service.flushAndRefresh();
        long after = service.service().decisions().city("demo").totals().decisions();
        assertThat(after - before).isEqualTo(decided.get() + 1);
    }

    /** Mutated requests: bodies, headers and framings a broken or hostile client sends. */
    static final class Fuzz {

        record Case(byte[] bytes, boolean closeAfterSending, boolean decision, boolean unknownVersion) {
            Case(byte[] bytes, boolean closeAfterSending, boolean decision) {
                this(bytes, closeAfterSending, decision, false);
            }
        }

        static Case next(SplittableRandom random, long id) {
            String body = VALID.formatted(id, random.nextInt(50));
            switch (random.nextInt(10)) {
                case 0 -> {
                    return new Case(post(body, ""), false, true);
                }
                case 1 -> {
                    byte[] b = body.getBytes(StandardCharsets.UTF_8);
                    for (int k = random.nextInt(1, 4); k > 0; k--) {
                        b[random.nextInt(b.length)] = (byte) random.nextInt(256);
                    }
                    return new Case(post(new String(b, StandardCharsets.ISO_8859_1), ""), false, true);
                }
                case 2 -> {
                    return new Case(post(body.substring(0, random.nextInt(body.length())), ""), false, true);
                }
                case 3 -> {
                    String[] swaps = {"\"demo\"", "\"u-", "\"new\"", "\"rides_30d\":", "false", "{", "}", ","};
                    String from = swaps[random.nextInt(swaps.length)];
                    String[] to = {"null", "1e999", "[]", "{}", "\"\"", "-0", "\"\\u0000\"", "true", "\"x\"",
                            "NaN", "9".repeat(400)};
                    return new Case(post(body.replaceFirst(java.util.regex.Pattern.quote(from),
                            java.util.regex.Matcher.quoteReplacement(to[random.nextInt(to.length)])), ""), false, true);
                }
                case 4 -> {
                    String chunks = Integer.toHexString(body.length()) + "\r\n" + body + "\r\n0\r\n\r\n";
                    String[] broken = {chunks, "zz\r\n" + body + "\r\n0\r\n\r\n",
                            Integer.toHexString(body.length() + 7) + "\r\n" + body + "\r\n0\r\n\r\n",
                            Integer.toHexString(body.length()) + ";ext=1\r\n" + body + "\r\n0\r\n\r\n",
                            "-5\r\n" + body + "\r\n0\r\n\r\n", "ffffffffffffffff\r\n" + body};
                    int which = random.nextInt(broken.length);
                    String head = "POST /v1/decisions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                            + "Transfer-Encoding: chunked\r\n\r\n";
                    return new Case((head + broken[which]).getBytes(StandardCharsets.ISO_8859_1), which == 2
                            || which == 5, which == 0 || which == 3);
                }
                case 5 -> {
                    byte[] full = post(body, "");
                    byte[] cut = java.util.Arrays.copyOf(full, random.nextInt(1, full.length));
                    return new Case(cut, true, false);
                }
                case 6 -> {
                    String[] headers = {"Content-Length: 5\r\n", "Content-Type: text/plain\r\n",
                            "Connection: close\r\n", "Content-Encoding: gzip\r\n",
                            "X-" + "h".repeat(random.nextInt(1, 9000)) + ": 1\r\n"};
                    return new Case(post(body, headers[random.nextInt(headers.length)]), false, true);
                }
                case 7 -> {
                    String[] lines = {"GARBAGE\r\n\r\n", "GET / HTTP/9.9\r\n\r\n", "POST /v1/decisions\r\n\r\n",
                            "POST /v1/decisions HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
                            "POST /v1/decisions HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n{}",
                            "GET /v1/cities/%00/state HTTP/1.1\r\nHost: x\r\n\r\n",
                            "DELETE /v1/decisions HTTP/1.1\r\nHost: x\r\n\r\n",
                            "GET /" + "a/".repeat(3000) + " HTTP/1.1\r\nHost: x\r\n\r\n"};
                    int which = random.nextInt(lines.length);
                    return new Case(lines[which].getBytes(StandardCharsets.ISO_8859_1), false, false, which == 1);
                }
                case 8 -> {
                    String big = "{\"city\":\"demo\",\"userId\":\"u\",\"attributes\":{\"x\":\""
                            + "y".repeat(random.nextInt(100, 20_000)) + "\"}}";
                    return new Case(post(big, ""), false, true);
                }
                default -> {
                    String outcome = "{\"decisionId\":\"demo." + random.nextInt() + "\",\"converted\":"
                            + random.nextBoolean() + "}";
                    byte[] b = outcome.getBytes(StandardCharsets.UTF_8);
                    String head = "POST /v1/outcomes HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                            + "Content-Length: " + b.length + "\r\n\r\n";
                    return new Case(concat(head.getBytes(StandardCharsets.US_ASCII), b), false, false);
                }
            }
        }
    }
}
