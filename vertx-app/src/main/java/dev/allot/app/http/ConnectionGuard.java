package dev.allot.app.http;

import dev.allot.app.metrics.Metrics;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.Map;

/**
 * What one HTTP connection may hold, on top of Vert.x's own limits (line and header sizes, the body limit):
 * <ul>
 * <li>a deadline for each request's headers, from the connection's opening or the previous response's end: a
 * client that trickles its headers (slowloris) or sits idle on a keep-alive connection is closed, quietly, when
 * it passes {@link HttpLimits#headerTimeoutMillis()}; the body has the request timeout (408) of the router;</li>
 * <li>a request line with an HTTP version other than 1.0 and 1.1 is a bad request (400, like any other malformed
 * request) rather than the 501 Vert.x would send: it is the client's error, not a missing feature of ours.</li>
 * </ul>
 * One guard per HTTP verticle: its handlers all run on that verticle's event loop.
 */
final class ConnectionGuard {

    private static final Logger LOG = LoggerFactory.getLogger(ConnectionGuard.class);
    /** The name Vert.x gives the HTTP/1.x request decoder in a connection's pipeline. */
    private static final String DECODER = "httpDecoder";

    private final Vertx vertx;
    private final long headerTimeoutMillis;
    private final Metrics metrics;
    /** The pending header deadline of each open connection (absent while a request is being handled). */
    private final Map<HttpConnection, Long> deadlines = new HashMap<>();

    ConnectionGuard(Vertx vertx, long headerTimeoutMillis, Metrics metrics) {
        this.vertx = vertx;
        this.headerTimeoutMillis = headerTimeoutMillis;
        this.metrics = metrics;
    }

    void opened(HttpConnection connection) {
        guardVersions(connection);
        connection.closeHandler(v -> {
            Long timer = deadlines.remove(connection);
            if (timer != null) {
                vertx.cancelTimer(timer);
            }
        });
        arm(connection);
    }

    /** Headers complete: the deadline is met; the next one starts when this request's response has been sent. */
    void requestArrived(HttpServerRequest request) {
        HttpConnection connection = request.connection();
        Long timer = deadlines.remove(connection);
        if (timer != null) {
            vertx.cancelTimer(timer);
        }
        request.response().endHandler(v -> arm(connection));
    }

    private void arm(HttpConnection connection) {
        Long previous = deadlines.put(connection, vertx.setTimer(headerTimeoutMillis, id -> {
            if (deadlines.remove(connection) != null) {
                metrics.headerTimeout();
                LOG.debug("Closing {}: no complete request headers within {} ms", connection.remoteAddress(),
                        headerTimeoutMillis);
                connection.close();
            }
        }));
        if (previous != null) {
            vertx.cancelTimer(previous);
        }
    }

    /**
     * Marks a request of an unknown HTTP version as undecodable, so Vert.x hands it to the invalid-request handler
     * (400) instead of answering 501. Reaches into the connection's Netty pipeline, which Vert.x exposes only
     * through its internal connection class: without it (another transport, a future Vert.x), the 501 stays.
     */
    private static void guardVersions(HttpConnection connection) {
        if (!(connection instanceof io.vertx.core.net.impl.ConnectionBase base)) {
            return;
        }
        ChannelPipeline pipeline = base.channel().pipeline();
        if (pipeline.get(DECODER) != null && pipeline.get(VersionCheck.NAME) == null) {
            pipeline.addAfter(DECODER, VersionCheck.NAME, new VersionCheck());
        }
    }

    /** Between the decoder and Vert.x: a request line of another HTTP version becomes a decoding failure. */
    private static final class VersionCheck extends ChannelInboundHandlerAdapter {
        static final String NAME = "allotVersionCheck";

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HttpRequest request && request.decoderResult().isSuccess()
                    && request.protocolVersion() != HttpVersion.HTTP_1_1
                    && request.protocolVersion() != HttpVersion.HTTP_1_0) {
                String version = request.protocolVersion().text();
                request.setProtocolVersion(HttpVersion.HTTP_1_1);
                request.setDecoderResult(DecoderResult.failure(
                        new IllegalArgumentException("unsupported HTTP version " + version)));
            }
            ctx.fireChannelRead(msg);
        }
    }
}
