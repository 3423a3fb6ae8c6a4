package dev.allot.bench.http;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

import static org.assertj.core.api.Assertions.assertThat;

class OpenLoopTest {

    private Vertx vertx;

    @BeforeEach
    void start() {
        vertx = Vertx.vertx();
    }

    @AfterEach
    void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    /** A server answering each decision request with {@code answer(request, user number)}. */
    private URI serve(BiConsumer<HttpServerRequest, Long> answer) throws Exception {
        HttpServer server = vertx.createHttpServer().requestHandler(request -> request.body().onSuccess(body -> {
            JsonObject json = body.toJsonObject();
            long user = Long.parseLong(json.getString("userId").substring("open-".length()));
            if (!"demo".equals(json.getString("city")) || json.getJsonObject("features").getInteger("hour") == null
                    || !request.path().equals("/v1/decisions")) {
                request.response().setStatusCode(400).end("unexpected request " + body);
                return;
            }
            answer.accept(request, user);
        })).listen(0).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        return URI.create("http://127.0.0.1:" + server.actualPort());
    }

    @Test
    void sendsEveryRequestAsAWellFormedDecisionAndCountsTheirStatuses() throws Exception {
        URI url = serve((request, user) -> request.response().setStatusCode(user % 10 == 0 ? 503 : 200)
                .putHeader("content-type", "application/json").end("{\"decisionId\":\"d" + user + "\"}"));
        try (OpenLoop load = new OpenLoop(url, 8, false)) {
            OpenLoop.Result result = load.run(2_000, 1);

            assertThat(result.unanswered()).isZero();
            // Users 1 to 2,000, each a new one: every tenth answered 503, and no body was refused as malformed.
            assertThat(result.non200()).isEqualTo(200);
            assertThat(result.ok()).isEqualTo(1_800);
            assertThat(result.failed()).isZero();
            assertThat(result.latency().getTotalCount()).isEqualTo(2_000);
        }
    }

    @Test
    void chargesAStalledAnswerToEveryRequestQueuedBehindIt() throws Exception {
        // One connection, one answer held for 300 ms: a closed-loop client would record one slow request; the
        // requests meant to go out meanwhile waited too, and count from when they were meant to be sent.
        URI url = serve((request, user) -> {
            if (user == 550) {
                vertx.setTimer(300, id -> request.response().end("{}"));
            } else {
                request.response().end("{}");
            }
        });
        try (OpenLoop load = new OpenLoop(url, 1, false)) {
            load.run(500, 1);
            OpenLoop.Result result = load.run(500, 2);

            // Users 501 to 1,500 (the warm-up had 1 to 500): none is the one held.
            assertThat(result.ok()).isEqualTo(1_000);
            // At 500/s, 100 requests fell due in the stall's first 200 ms: each waited 100 ms or more (more still
            // while the backlog drained behind it, one round trip at a time).
            assertThat(result.latency().getCountBetweenValues(100_000, 10_000_000)).isGreaterThanOrEqualTo(100);
            assertThat(result.latency().getMaxValue()).isGreaterThanOrEqualTo(290_000);
        }
    }

    @Test
    void countsAConnectionTheServerClosesAsAFailedRequestAndCarriesOn() throws Exception {
        URI url = serve((request, user) -> {
            if (user % 100 == 0) {
                request.connection().close();
            } else {
                request.response().end("{}");
            }
        });
        try (OpenLoop load = new OpenLoop(url, 4, false)) {
            OpenLoop.Result result = load.run(1_000, 1);

            assertThat(result.failed()).isEqualTo(10);
            assertThat(result.ok()).isEqualTo(990);
        }
    }

    @Test
    void replacesConnectionsTheServerClosesWhileIdleWithoutCountingAFailure() throws Exception {
        // The server closes every fifth connection once its answer is written: the generator holds it as idle by
        // then, and must replace it rather than count a failure or lose a request.
        URI url = serve((request, user) -> request.response().end("{}").onComplete(written -> {
            if (user % 5 == 0) {
                request.connection().close();
            }
        }));
        try (OpenLoop load = new OpenLoop(url, 8, false)) {
            OpenLoop.Result warmup = load.run(20, 1);
            OpenLoop.Result result = load.run(20, 2);

            assertThat(warmup.ok()).isEqualTo(20);
            assertThat(result.ok()).isEqualTo(40);
            assertThat(result.failed()).isZero();
            assertThat(result.unanswered()).isZero();
        }
    }

    @Test
    void reportsRequestsNeverAnsweredInsteadOfLeavingThemOut() throws Exception {
        URI url = serve((request, user) -> {
            if (user % 50 != 0) {
                request.response().end("{}");
            }
        });
        try (OpenLoop load = new OpenLoop(url, 64, false, TimeUnit.MILLISECONDS.toNanos(500))) {
            OpenLoop.Result result = load.run(500, 1);

            assertThat(result.ok()).isEqualTo(490);
            assertThat(result.unanswered()).isEqualTo(10);
            assertThat(result.latency().getTotalCount()).isEqualTo(490);
        }
    }

    @Test
    void readsTheStatusOnceTheWholeAnswerIsIn() {
        java.nio.ByteBuffer in = java.nio.ByteBuffer.allocate(256);
        in.put("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 5\r\n\r\nab".getBytes());
        assertThat(OpenLoop.answer(in)).isZero();
        in.put("cde".getBytes());
        assertThat(OpenLoop.answer(in)).isEqualTo(503);
    }
}
