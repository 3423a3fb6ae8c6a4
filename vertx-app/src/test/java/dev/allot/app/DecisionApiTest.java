package dev.allot.app;

import dev.allot.control.redis.CityStore;
import com.fasterxml.jackson.databind.JsonNode;
import dev.allot.control.CityTotals;
import dev.allot.control.redis.EmbeddedRedisExtension;
import dev.allot.engine.DecisionCodec;
import dev.allot.engine.DecisionRecord;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The HTTP API end to end: real Vert.x, embedded Redis, Drools on the shipped rules, the shipped model. */
class DecisionApiTest {

    @RegisterExtension
    static final EmbeddedRedisExtension REDIS = new EmbeddedRedisExtension();

    static final String CITY = ServiceFixture.BASE_CITY;

    static ServiceFixture service;

    @BeforeAll
    static void start() throws Exception {
        service = ServiceFixture.start(REDIS, CITY);
    }

    @AfterAll
    static void stop() throws Exception {
        service.close();
    }

    @BeforeEach
    void cleanRedis() throws Exception {
        service.resetRedis(REDIS);
    }

    @Test
    void returnsEveryFieldOfTheContract() {
        ServiceFixture.Response r = service.post("/v1/decisions", """
                { "requestId": "contract-1", "city": "demo", "userId": "u-123", "segment": "low_frequency",
                  "features": { "rides_30d": 2, "days_since_first_ride": 300 },
                  "attributes": { "fraud_risk": false }, "campaigns": [], "timestamp": "2026-11-23T10:15:00Z" }
                """);
        assertThat(r.status()).isEqualTo(200);
        JsonNode d = r.body();
        for (String field : List.of("decisionId", "city", "userId", "level", "coupon", "price", "currency",
                "expectedConversion", "group", "lambda", "modelVersion", "rulesVersion", "reasons")) {
            assertThat(d.has(field)).as("field %s in %s", field, r.text()).isTrue();
        }
        assertThat(d.get("decisionId").asText()).startsWith("demo.");
        assertThat(d.get("city").asText()).isEqualTo("demo");
        assertThat(d.get("currency").asText()).isEqualTo("CNY");
        assertThat(d.get("price").asDouble()).isEqualTo(18.0 - d.get("coupon").asDouble());
        assertThat(d.get("expectedConversion").asDouble()).isBetween(0.0, 1.0);
        assertThat(d.get("modelVersion").asText()).isEqualTo("demo-7-60000x60d4");
        assertThat(d.get("rulesVersion").asText()).startsWith("rules-");
        assertThat(d.has("candidates")).isFalse();
    }

    /** Calls of one Redis command so far, from INFO commandstats. */
    private static long redisCalls(String command) {
        try (var c = REDIS.connect()) {
            return c.sync().info("commandstats").lines().filter(l -> l.startsWith("cmdstat_" + command + ":"))
                    .mapToLong(l -> Long.parseLong(l.replaceAll(".*calls=(\\d+).*", "$1"))).sum();
        }
    }

    @Test
    void aDecisionWithoutRequestIdMakesNoRedisRoundTripAndACouponCountsAtOnce() throws Exception {
        service.awaitGrants();
        String metricsBefore = service.get("/metrics").text();
        long zcounts = redisCalls("zcount");
        long gets = redisCalls("get");
        int coupons = 0;
        for (int i = 0; i < 30; i++) {
            ServiceFixture.Response r = service.post("/v1/decisions",
                    "{\"city\":\"demo\",\"userId\":\"no-trip\",\"features\":{\"rides_30d\":2}}");
            assertThat(r.status()).isEqualTo(200);
            coupons += r.body().get("coupon").asDouble() > 0 ? 1 : 0;
        }
        assertThat(redisCalls("zcount")).as("coupon counts asked of Redis").isEqualTo(zcounts);
        assertThat(redisCalls("get")).as("stored responses asked of Redis").isEqualTo(gets);
        assertThat(counter(service.get("/metrics").text(), "allot_history_counts_total{source=\"view\"}")
                - counter(metricsBefore, "allot_history_counts_total{source=\"view\"}")).isEqualTo(30.0);
        // The demo rules cap a user at 3 coupons a week: counted by the view from this replica's own grants, before
        // any of them was flushed.
        assertThat(coupons).isLessThanOrEqualTo(3);
    }

    @Test
    void explainListsEveryLevelAndTheChoiceIsTheBestAllowedScore() {
        for (int u = 0; u < 40; u++) {
            JsonNode d = service.post("/v1/decisions?explain=true", """
                    { "city": "demo", "userId": "explain-%d", "features": { "rides_30d": %d, "avg_fare": 15 } }
                    """.formatted(u, u % 20)).body();
            JsonNode candidates = d.get("candidates");
            assertThat(candidates).hasSize(6);
            double previous = -1;
            int best = -1;
            double bestScore = Double.NEGATIVE_INFINITY;
            for (JsonNode c : candidates) {
                assertThat(c.get("conversion").asDouble()).isGreaterThanOrEqualTo(previous);
                previous = c.get("conversion").asDouble();
                double lambda = d.get("lambda").asDouble();
                assertThat(c.get("score").asDouble())
                        .isCloseTo(c.get("value").asDouble() - lambda * c.get("cost").asDouble(), within(1e-9));
                if (c.get("allowed").asBoolean() && c.get("score").asDouble() > bestScore) {
                    bestScore = c.get("score").asDouble();
                    best = c.get("level").asInt();
                }
            }
            if (d.get("group").asText().equals("optimized")) {
                assertThat(d.get("level").asInt()).isEqualTo(best);
                assertThat(d.get("propensity").asDouble()).isEqualTo(1.0);
            }
        }
    }

    @Test
    void ruleEffectsAppearInReasons() {
        for (int u = 0; u < 30; u++) {
            JsonNode capped = service.post("/v1/decisions", """
                    { "city": "demo", "userId": "hf-%d", "segment": "high_frequency", "features": { "rides_30d": 1 } }
                    """.formatted(u)).body();
            assertThat(capped.get("level").asInt()).isLessThanOrEqualTo(2);
            assertThat(capped.get("reasons").toString()).contains("cap-high-frequency").contains("maxLevel=2");
        }
        JsonNode fraud = service.post("/v1/decisions", """
                { "city": "demo", "userId": "f-1", "attributes": { "fraud_risk": true }, "features": { "rides_30d": 1 } }
                """).body();
        assertThat(fraud.get("level").asInt()).isZero();
        assertThat(fraud.get("coupon").asDouble()).isZero();
        assertThat(fraud.get("reasons").get(0).get("rule").asText()).isEqualTo("no-coupon-fraud-risk");
        assertThat(fraud.get("reasons").get(0).get("effect").asText()).startsWith("deny");
    }

    @Test
    void badInputGetsA4xxThatNamesTheFieldAndTheServiceKeepsServing() {
        record Case(String body, int status, String field) {
        }
        List<Case> cases = List.of(
                new Case("{", 400, null),
                new Case("not json", 400, null),
                new Case("[]", 400, null),
                new Case("", 400, null),
                new Case("{\"userId\":\"u\"}", 400, "city"),
                new Case("{\"city\":\"demo\"}", 400, "userId"),
                new Case("{\"city\":\"demo\",\"userId\":7}", 400, "userId"),
                new Case("{\"city\":[\"demo\"],\"userId\":\"u\"}", 400, "city"),
                new Case("{\"city\":\"nowhere\",\"userId\":\"u\"}", 404, "city"),
                new Case("{\"city\":\"demo\",\"userId\":\"u\",\"features\":{\"rides_30d\":\"12\"}}", 400,
                        "features.rides_30d"),
                new Case("{\"city\":\"demo\",\"userId\":\"u\",\"features\":{\"rides_30d\":NaN}}", 400, null),
                new Case("{\"city\":\"demo\",\"userId\":\"u\",\"features\":{\"rides_30d\":Infinity}}", 400, null),
                new Case("{\"city\":\"demo\",\"userId\":\"u\",\"features\":{\"rides_30d\":1e400}}", 400,
                        "features.rides_30d"),
                new Case("{\"city\":\"demo\",\"userId\":\"u\",\"features\":[1,2]}", 400, "features"),
                new Case("{\"city\":\"demo\",\"userId\":\"u\",\"attributes\":{\"x\":{}}}", 400, "attributes.x"),
                new Case("{\"city\":\"demo\",\"userId\":\"u\",\"campaigns\":[\"a\",3]}", 400, "campaigns[1]"),
                new Case("{\"city\":\"demo\",\"userId\":\"u\",\"timestamp\":\"noon\"}", 400, "timestamp"),
                new Case("{\"city\":\"demo\",\"userId\":\"u\",\"segmnet\":\"new\"}", 400, "segmnet"),
                new Case("{\"city\":\"demo\",\"city\":\"demo\",\"userId\":\"u\"}", 400, null));
        for (Case c : cases) {
            ServiceFixture.Response r = service.post("/v1/decisions", c.body());
            assertThat(r.status()).as("status for %s: %s", c.body(), r.text()).isEqualTo(c.status());
            assertThat(r.body().get("error").asText()).isNotBlank();
            assertThat(r.body().get("message").asText()).isNotBlank();
            if (c.field() != null) {
                assertThat(r.body().get("field").asText()).as("field for %s", c.body()).isEqualTo(c.field());
                assertThat(r.body().get("message").asText()).contains(c.field());
            }
        }
        ServiceFixture.Response big = service.post("/v1/decisions",
                "{\"city\":\"demo\",\"userId\":\"u\",\"segment\":\"" + "x".repeat(1024 * 1024) + "\"}");
        assertThat(big.status()).isEqualTo(413);
        assertThat(big.body().get("error").asText()).isEqualTo("payload_too_large");

        ServiceFixture.Response outcome = service.post("/v1/outcomes",
                "{\"decisionId\":\"demo.00000000-0000-0000-0000-000000000000\",\"converted\":true}");
        assertThat(outcome.status()).isEqualTo(404);
        assertThat(outcome.body().get("field").asText()).isEqualTo("decisionId");
        assertThat(service.post("/v1/outcomes", "{\"decisionId\":\"nocity\",\"converted\":true}").status())
                .isEqualTo(404);
        assertThat(service.post("/v1/outcomes", "{\"decisionId\":\"demo.x\",\"converted\":\"yes\"}").body()
                .get("field").asText()).isEqualTo("converted");
        assertThat(service.post("/v1/outcomes", "{\"decisionId\":\"demo.x\",\"converted\":true,\"revenue\":-1}")
                .body().get("field").asText()).isEqualTo("revenue");

        assertThat(service.post("/v1/decisions", "{\"city\":\"demo\",\"userId\":\"still-here\"}").status())
                .isEqualTo(200);
    }

    @Test
    void theSameRequestIdReturnsTheSameDecisionAndCountsOnce() throws Exception {
        String body = "{\"requestId\":\"retry-1\",\"city\":\"demo\",\"userId\":\"u-retry\",\"features\":{\"rides_30d\":3}}";
        ServiceFixture.Response first = service.post("/v1/decisions", body);
        ServiceFixture.Response second = service.post("/v1/decisions", body);
        assertThat(second.text()).isEqualTo(first.text());
        service.flushAndRefresh();
        var totals = service.service().decisions().city("demo").totals();
        assertThat(totals.decisions()).isEqualTo(1);
    }

    @Test
    void aRequestIdReusedForAnotherRequestIsRefusedAndNeverReturnsTheFirstDecision() throws Exception {
        String mine = "{\"requestId\":\"shared-1\",\"city\":\"demo\",\"userId\":\"u-alice\","
                + "\"features\":{\"rides_30d\":3}}";
        String theirs = mine.replace("u-alice", "u-bob");
        ServiceFixture.Response first = service.post("/v1/decisions", mine);
        assertThat(first.status()).isEqualTo(200);

        ServiceFixture.Response reused = service.post("/v1/decisions", theirs);
        assertThat(reused.status()).isEqualTo(409);
        assertThat(reused.body().get("field").asText()).isEqualTo("requestId");
        assertThat(reused.text()).doesNotContain("u-alice").doesNotContain(first.body().get("decisionId").asText());

        // The same request, fields in another order, is a retry and gets its decision.
        String reordered = "{\"features\":{\"rides_30d\":3},\"userId\":\"u-alice\",\"city\":\"demo\","
                + "\"requestId\":\"shared-1\"}";
        assertThat(service.post("/v1/decisions", reordered).text()).isEqualTo(first.text());
        // Another replica, without this one's memory, answers the same from Redis.
        try (ServiceFixture other = ServiceFixture.start(REDIS, CITY)) {
            assertThat(other.post("/v1/decisions", theirs).status()).isEqualTo(409);
            assertThat(other.post("/v1/decisions", mine).text()).isEqualTo(first.text());
        }
    }

    @Test
    void aRequestIdAnsweredWhileRedisWasDownIsHonouredByAnotherReplicaAfterwards() throws Exception {
        String request = "{\"city\":\"demo\",\"userId\":\"u-bob\",\"requestId\":\"dark-1\","
                + "\"features\":{\"rides_30d\":2}}";
        ServiceFixture.Response first;
        REDIS.stop();
        try {
            first = service.post("/v1/decisions", request);
            assertThat(first.status()).isEqualTo(200);
        } finally {
            REDIS.start();
        }
        service.drainAfterOutage();
        // The claim this replica could not make went to Redis with the decision: a retry landing on another
        // replica gets the same decision, and the day counts one.
        try (ServiceFixture other = ServiceFixture.start(REDIS, CITY)) {
            assertThat(other.post("/v1/decisions", request).text()).isEqualTo(first.text());
            other.flushAndRefresh();
            assertThat(other.service().decisions().city("demo").totals().decisions()).isEqualTo(1);
        }
    }

    @Test
    void redisTotalsEqualTheSumOverTheResponses() throws Exception {
        double conversions = 0;
        double revenue = 0;
        double spend = 0;
        List<String> ids = new ArrayList<>();
        int n = 300;
        for (int i = 0; i < n; i++) {
            JsonNode d = service.post("/v1/decisions", """
                    { "city": "demo", "userId": "sum-%d", "segment": "%s",
                      "features": { "rides_30d": %d, "days_since_first_ride": %d, "avg_fare": %d, "hour": %d } }
                    """.formatted(i, i % 3 == 0 ? "high_frequency" : "low_frequency", i % 25, 20 * i, 10 + i % 9,
                    i % 24)).body();
            double r = d.get("expectedConversion").asDouble();
            conversions += r;
            revenue += r * d.get("price").asDouble();
            spend += r * d.get("coupon").asDouble();
            ids.add(d.get("decisionId").asText());
        }
        service.flushAndRefresh();
        CityTotals totals = service.service().decisions().city("demo").totals();
        assertThat(totals.decisions()).isEqualTo(n);
        assertThat(totals.get(CityTotals.CONVERSIONS)).isCloseTo(conversions, within(1e-6));
        assertThat(totals.get(CityTotals.REVENUE)).isCloseTo(revenue, within(1e-6));
        assertThat(totals.get(CityTotals.SPEND)).isCloseTo(spend, within(1e-6));
        try (StatefulRedisConnection<String, String> c = REDIS.connect()) {
            assertThat(StreamedDecisions.count(new CityStore(c), "demo")).isEqualTo(n);
            var entries = new CityStore(c).decisionsBackward("demo", n, e -> false).toCompletableFuture().get()
                    .entries();
            Set<String> logged = new HashSet<>();
            for (var entry : entries) {
                DecisionRecord r = DecisionCodec.fromStream(entry);
                assertThat(r.format()).isEqualTo(DecisionCodec.FORMAT);
                assertThat(r.levels().calibrated()).hasSize(6);
                assertThat(r.modelVersion()).isNotBlank();
                assertThat(r.context().historyKnown()).isTrue();
                logged.add(r.decisionId());
            }
            assertThat(logged).isEqualTo(new HashSet<>(ids));
        }
    }

    @Test
    void anOutcomeIsCountedOnceAndUpdatesRealizedTotals() throws Exception {
        JsonNode d = service.post("/v1/decisions", "{\"city\":\"demo\",\"userId\":\"buyer\"}").body();
        String id = d.get("decisionId").asText();
        ServiceFixture.Response first = service.post("/v1/outcomes",
                "{\"decisionId\":\"" + id + "\",\"converted\":true,\"revenue\":12.5}");
        assertThat(first.status()).isEqualTo(202);
        assertThat(first.body().get("status").asText()).isEqualTo("counted");
        ServiceFixture.Response again = service.post("/v1/outcomes",
                "{\"decisionId\":\"" + id + "\",\"converted\":true,\"revenue\":12.5}");
        assertThat(again.status()).isEqualTo(202);
        assertThat(again.body().get("status").asText()).isEqualTo("duplicate");
        service.flushAndRefresh();
        CityTotals totals = service.service().decisions().city("demo").totals();
        assertThat(totals.get(CityTotals.PURCHASES)).isEqualTo(1.0);
        assertThat(totals.get(CityTotals.REALIZED_REVENUE)).isEqualTo(12.5);
        assertThat(totals.get(CityTotals.REALIZED_SPEND)).isEqualTo(d.get("coupon").asDouble());
    }

    @Test
    void stateShowsLambdaTargetAndRunningAverages() throws Exception {
        for (int i = 0; i < 20; i++) {
            service.post("/v1/decisions", "{\"city\":\"demo\",\"userId\":\"state-" + i + "\"}");
        }
        service.flushAndRefresh();
        JsonNode state = service.state("demo").body();
        assertThat(state.get("lambda").asDouble()).isEqualTo(0.5);
        assertThat(state.get("target").get("type").asText()).isEqualTo("average-price-floor");
        assertThat(state.get("target").get("value").asDouble()).isEqualTo(14.5);
        assertThat(state.get("averages").get("expectedAveragePrice").asDouble()).isBetween(8.0, 18.0);
        assertThat(state.get("counts").get("decisions").asLong()).isEqualTo(20);
        long byGroup = 0;
        for (JsonNode g : state.get("counts").get("byGroup")) {
            byGroup += g.asLong();
        }
        assertThat(byGroup).isEqualTo(20);
        assertThat(state.get("pid").get("kp").asDouble()).isEqualTo(0.05);
        assertThat(state.get("degraded").asBoolean()).isFalse();
        assertThat(service.state("nowhere").status()).isEqualTo(404);
    }

    @Test
    void decisionsGoOnThroughARedisOutageAndNoTotalIsLost() throws Exception {
        long fromViewBefore = service.service().decisions().grants().answeredFromView();
        REDIS.stop();
        List<String> ids = new ArrayList<>();
        try {
            for (int i = 0; i < 25; i++) {
                ServiceFixture.Response r = service.post("/v1/decisions",
                        "{\"city\":\"demo\",\"userId\":\"outage-" + i + "\",\"features\":{\"rides_30d\":4}}");
                assertThat(r.status()).as(r.text()).isEqualTo(200);
                ids.add(r.body().get("decisionId").asText());
            }
            JsonNode state = service.state("demo").body();
            assertThat(state.get("degraded").asBoolean()).isTrue();
            assertThat(state.get("pendingWrites").asInt()).isGreaterThanOrEqualTo(25);
            ServiceFixture.Response outcome = service.post("/v1/outcomes",
                    "{\"decisionId\":\"" + ids.get(0) + "\",\"converted\":true}");
            assertThat(outcome.status()).isEqualTo(202);
            assertThat(outcome.body().get("status").asText()).isEqualTo("queued");
        } finally {
            REDIS.start();
        }
        service.drainAfterOutage();
        CityTotals totals = service.service().decisions().city("demo").totals();
        // Redis came back empty (no persistence in tests): exactly the outage's decisions and outcome are there.
        assertThat(totals.decisions()).isEqualTo(25);
        assertThat(totals.get(CityTotals.PURCHASES)).isEqualTo(1.0);
        assertThat(service.state("demo").body().get("degraded").asBoolean()).isFalse();
        // Each arrival's coupon count came from the grants view (still current in the outage's first 100 ms), or it
        // asked Redis and failed, or found the circuit already open (a flush may fail first).
        String metrics = service.get("/metrics").text();
        long fromView = service.service().decisions().grants().answeredFromView() - fromViewBefore;
        assertThat(counter(metrics, "allot_redis_errors_total{operation=\"prepare\"}")
                + counter(metrics, "allot_redis_skipped_total{operation=\"prepare\"}") + fromView)
                .isGreaterThanOrEqualTo(25);
    }

    /** A Prometheus counter's value in {@code metrics}, 0 when absent. */
    private static double counter(String metrics, String series) {
        return metrics.lines().filter(l -> l.startsWith(series + " ")).findFirst()
                .map(l -> Double.parseDouble(l.substring(series.length() + 1).trim())).orElse(0.0);
    }

    @Test
    void metricsExposeLatencyDecisionsAndRuleHits() {
        service.post("/v1/decisions", "{\"city\":\"demo\",\"userId\":\"m-1\",\"segment\":\"high_frequency\"}");
        service.post("/v1/decisions", "{\"city\":\"demo\",\"userId\":\"m-2\",\"features\":{\"unknown_feature\":1}}");
        String metrics = service.get("/metrics").text();
        assertThat(metrics).contains("allot_decision_latency_seconds_bucket")
                .contains("allot_decisions_total{city=\"demo\"")
                .contains("allot_rule_hits_total{rule=\"cap-high-frequency\"}")
                .contains("allot_lambda{city=\"demo\"}")
                .contains("allot_unknown_features_total{city=\"demo\"}")
                .contains("allot_redis_errors_total");
        assertThat(service.get("/health/live").status()).isEqualTo(200);
        assertThat(service.get("/health/ready").status()).isEqualTo(200);
    }

    @Test
    void exploredAndHeldOutUsersAreStickyAndLogTheirPropensity() {
        Map<String, String> groups = new java.util.HashMap<>();
        int exploration = 0;
        for (int i = 0; i < 400; i++) {
            JsonNode d = service.post("/v1/decisions?explain=true",
                    "{\"city\":\"demo\",\"userId\":\"g-" + i + "\",\"segment\":\"s" + i % 4 + "\"}").body();
            groups.put("g-" + i, d.get("group").asText());
            if (d.get("group").asText().equals("exploration")) {
                exploration++;
                int allowed = 0;
                for (JsonNode c : d.get("candidates")) {
                    allowed += c.get("allowed").asBoolean() ? 1 : 0;
                }
                assertThat(allowed).isPositive();
                assertThat(d.get("propensity").asDouble()).isEqualTo(1.0 / allowed);
            }
            if (d.get("group").asText().equals("holdout")) {
                assertThat(d.get("level").asInt()).isZero();
            }
        }
        assertThat(exploration).isBetween(20, 65);
        for (int i = 0; i < 50; i++) {
            JsonNode d = service.post("/v1/decisions", "{\"city\":\"demo\",\"userId\":\"g-" + i + "\"}").body();
            assertThat(d.get("group").asText()).isEqualTo(groups.get("g-" + i));
        }
    }
}
