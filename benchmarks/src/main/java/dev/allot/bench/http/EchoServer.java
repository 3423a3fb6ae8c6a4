package dev.allot.bench.http;

import dev.allot.app.http.RequestParser;
import dev.allot.engine.DecisionRequest;
import dev.allot.engine.Json;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServerOptions;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The ceiling the service is measured against: a bare Vert.x 5 server, as many event loops as the service has
 * HTTP verticles, that parses a decision request with the service's own parser and answers a decision-sized JSON
 * written by the same mapper, with no model, rules or Redis. {@code java -cp benchmarks.jar
 * dev.allot.bench.http.EchoServer PORT [INSTANCES]}.
 */
public final class EchoServer extends VerticleBase {

    private final int port;

    EchoServer(int port) {
        this.port = port;
    }

    public static void main(String[] args) {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 8091;
        int instances = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        Vertx vertx = Vertx.vertx();
        vertx.deployVerticle(() -> new EchoServer(port), new DeploymentOptions().setInstances(instances))
                .onSuccess(id -> System.out.println("echo listening on " + port + " (" + instances + " event loops)"))
                .onFailure(e -> {
                    e.printStackTrace();
                    System.exit(1);
                });
    }

    @Override
    public Future<?> start() {
        return vertx.createHttpServer(new HttpServerOptions().setPort(port).setCompressionSupported(false))
                .requestHandler(request -> request.body().map(body -> answer(RequestParser.decision(
                                RequestParser.parse(body))))
                        .onSuccess(json -> request.response().putHeader("content-type", "application/json").end(json))
                        .onFailure(e -> request.response().setStatusCode(400).end(String.valueOf(e.getMessage()))))
                .listen();
    }

    /** A body shaped like the service's decision (the README's example), from the request. */
    static String answer(DecisionRequest request) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        int level = random.nextInt(6);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("decisionId", request.city() + "." + new UUID(random.nextLong(), random.nextLong()));
        out.put("city", request.city());
        out.put("userId", request.userId());
        out.put("level", level);
        out.put("coupon", 2.0 * level);
        out.put("price", 18.0 - 2.0 * level);
        out.put("currency", "CNY");
        out.put("expectedConversion", random.nextDouble());
        out.put("group", "optimized");
        out.put("propensity", 1.0);
        out.put("lambda", 0.5);
        out.put("modelVersion", "demo-7-60000x60d4");
        out.put("rulesVersion", "rules-0addb13b9b3374bd5a27b511a4d5bb8b");
        out.put("reasons", List.of());
        try {
            return Json.MAPPER.writeValueAsString(out);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

}
