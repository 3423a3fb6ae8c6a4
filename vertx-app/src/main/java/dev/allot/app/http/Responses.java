package dev.allot.app.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.allot.app.metrics.Metrics;
import dev.allot.engine.Json;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;

import java.util.LinkedHashMap;
import java.util.Map;

/** How every handler answers: JSON bodies, and errors in the one shape of {@link ApiException}. */
final class Responses {

    private static final CharSequence JSON = HttpHeaders.createOptimized("application/json; charset=utf-8");

    private Responses() {
    }

    static void error(RoutingContext ctx, ApiException e, Metrics metrics) {
        metrics.rejected(e.status(), e.code());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", e.code());
        body.put("message", e.getMessage());
        body.put("field", e.field());
        body.putAll(e.details());
        if (e.status() == 413 || ctx.request().method() == HttpMethod.POST && !ctx.request().isEnded()) {
            // The rest of the body will not be read: close rather than leave the client mid-upload.
            ctx.response().putHeader("connection", "close");
        }
        json(ctx, e.status(), body);
    }

    static void json(RoutingContext ctx, int status, Object body) {
        try {
            raw(ctx, status, Json.MAPPER.writeValueAsString(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise response", e);
        }
    }

    static void raw(RoutingContext ctx, int status, String body) {
        raw(ctx, status, Buffer.buffer(body));
    }

    static void raw(RoutingContext ctx, int status, Buffer body) {
        if (ctx.response().ended()) {
            return;
        }
        ctx.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, JSON).end(body);
    }
}
