package dev.allot.bench;

import dev.allot.app.http.RequestParser;
import dev.allot.engine.DecisionRequest;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.validation.RequestValidator;
import io.vertx.openapi.validation.ValidatedRequest;
import io.vertx.openapi.validation.impl.RequestParameterImpl;
import io.vertx.openapi.validation.impl.ValidatableRequestImpl;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The decision endpoint's body: the service's own parser (Jackson tree, each field checked by hand) against
 * validating the same body with Vert.x's OpenAPI validator from the served contract and then parsing it (the
 * validator does not build a {@link DecisionRequest}, so the parse stays either way). Decides whether the
 * decision endpoint keeps its own parser while the admin API validates from the contract.
 */
@State(Scope.Benchmark)
public class RequestParsingBenchmark {

    private static final Buffer BODY = Buffer.buffer("""
            {"city":"demo","userId":"u-123","segment":"low_frequency","requestId":"r-5f0c2a",
             "features":{"rides_30d":3,"days_since_first_ride":300,"avg_fare":15,"hour":18},
             "attributes":{"fraud_risk":false},"campaigns":["spring-promo"]}
            """);

    private Vertx vertx;
    private RequestValidator validator;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        vertx = Vertx.vertx();
        OpenAPIContract contract = OpenAPIContract.from(vertx, "api/openapi.yaml").toCompletionStage()
                .toCompletableFuture().get(30, TimeUnit.SECONDS);
        validator = RequestValidator.create(vertx, contract);
        // The contract accepts the body: otherwise the comparison would time a rejection.
        validated();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        vertx.close();
    }

    private ValidatedRequest validated() throws Exception {
        return validator.validate(new ValidatableRequestImpl(Map.of(), Map.of(), Map.of(), Map.of(),
                new RequestParameterImpl(BODY), "application/json"), "decide").toCompletionStage()
                .toCompletableFuture().get();
    }

    @Benchmark
    public DecisionRequest ownParser() {
        return RequestParser.decision(RequestParser.parse(BODY));
    }

    @Benchmark
    public DecisionRequest contractThenParser() throws Exception {
        validated();
        return RequestParser.decision(RequestParser.parse(BODY));
    }
}
