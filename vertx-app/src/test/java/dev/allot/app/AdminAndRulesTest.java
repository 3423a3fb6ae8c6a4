package dev.allot.app;

import com.fasterxml.jackson.databind.JsonNode;
import dev.allot.control.redis.EmbeddedRedisExtension;
import dev.allot.engine.Json;
import dev.allot.rules.HostileRuleSets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Files;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Business users' rule edits and ops' controller settings, through the API. */
class AdminAndRulesTest {

    @RegisterExtension
    static final EmbeddedRedisExtension REDIS = new EmbeddedRedisExtension();

    static ServiceFixture service;

    @BeforeAll
    static void start() throws Exception {
        service = ServiceFixture.start(REDIS, DecisionApiTest.CITY);
    }

    @AfterAll
    static void stop() throws Exception {
        service.close();
    }

    private static ServiceFixture.Response admin(String method, String path, String body) {
        return service.admin(method, path, body, ServiceFixture.ADMIN_TOKEN);
    }


    @Test
    void adminCallsNeedTheToken() {
        assertThat(service.admin("GET", "/v1/admin/rules", null, null).status()).isEqualTo(401);
        assertThat(service.admin("GET", "/v1/admin/rules", null, "wrong").status()).isEqualTo(401);
        assertThat(service.admin("GET", "/v1/admin/rules", null, "wrong").body().get("error").asText())
                .isEqualTo("unauthorized");
        assertThat(admin("GET", "/v1/admin/rules", null).status()).isEqualTo(200);
    }

    @Test
    void aBrokenRuleFileIsRefusedWithItsLineAndThePreviousSetKeepsDeciding() throws Exception {
        String before = service.post("/v1/decisions", "{\"city\":\"demo\",\"userId\":\"r-1\"}").body()
                .get("rulesVersion").asText();
        Files.writeString(service.rulesDir().resolve("zz-broken.drl"), """
                package dev.allot.guardrails;
                import dev.allot.rules.Verdict;
                import dev.allot.rules.Arrival;

                rule "broken"
                when
                    $v : Verdict()
                    Arrival( segmnet == "new" )
                then
                    $v.deny("x");
                end
                """);
        try {
            ServiceFixture.Response reload = admin("POST", "/v1/admin/rules/reload", null);
            assertThat(reload.status()).isEqualTo(422);
            assertThat(reload.body().get("error").asText()).isEqualTo("rules_rejected");
            JsonNode error = reload.body().get("errors").get(0);
            assertThat(error.get("file").asText()).isEqualTo("zz-broken.drl");
            assertThat(error.get("line").asInt()).isEqualTo(8);
            assertThat(error.get("message").asText()).isNotBlank();

            JsonNode after = service.post("/v1/decisions",
                    "{\"city\":\"demo\",\"userId\":\"r-2\",\"segment\":\"high_frequency\"}").body();
            assertThat(after.get("rulesVersion").asText()).isEqualTo(before);
            assertThat(after.get("reasons").toString()).contains("cap-high-frequency");
            assertThat(admin("GET", "/v1/admin/rules", null).body().get("lastErrors")).hasSize(1);
        } finally {
            Files.delete(service.rulesDir().resolve("zz-broken.drl"));
        }

        Files.writeString(service.rulesDir().resolve("zz-new.drl"), """
                package dev.allot.guardrails;
                import dev.allot.rules.Verdict;
                import dev.allot.rules.Arrival;

                rule "no-coupon-for-testers"
                when
                    $v : Verdict()
                    Arrival( userId str[startsWith] "tester-" )
                then
                    $v.deny("internal account");
                end
                """);
        try {
            ServiceFixture.Response reload = admin("POST", "/v1/admin/rules/reload", null);
            assertThat(reload.status()).as(reload.text()).isEqualTo(200);
            JsonNode tester = service.post("/v1/decisions", "{\"city\":\"demo\",\"userId\":\"tester-1\"}").body();
            assertThat(tester.get("rulesVersion").asText()).isNotEqualTo(before);
            assertThat(tester.get("reasons").get(0).get("rule").asText()).isEqualTo("no-coupon-for-testers");
            assertThat(tester.get("coupon").asDouble()).isZero();

            assertThat(admin("POST", "/v1/admin/rules/rollback", null).body().get("active").asText()).isEqualTo(before);
            assertThat(service.post("/v1/decisions", "{\"city\":\"demo\",\"userId\":\"tester-1\"}").body()
                    .get("rulesVersion").asText()).isEqualTo(before);
        } finally {
            Files.delete(service.rulesDir().resolve("zz-new.drl"));
        }
    }

    @Test
    void aRuleSetActivatedOnOneReplicaReachesTheOthersAndABadOneReachesNone() throws Exception {
        try (ServiceFixture other = ServiceFixture.start(REDIS, DecisionApiTest.CITY)) {
            String before = other.post("/v1/decisions", "{\"city\":\"demo\",\"userId\":\"x\"}").body()
                    .get("rulesVersion").asText();
            java.util.Map<String, String> files = ServiceFixture.shippedRuleFiles();
            files.put("zz-api.drl", """
                    package dev.allot.guardrails;
                    import dev.allot.rules.Verdict;
                    import dev.allot.rules.Arrival;

                    rule "no-coupon-for-staff"
                    when
                        $v : Verdict()
                        Arrival( userId str[startsWith] "staff-" )
                    then
                        $v.deny("staff account");
                    end
                    """);
            String body = Json.MAPPER.writeValueAsString(java.util.Map.of("files", files));

            ServiceFixture.Response bad = admin("POST", "/v1/admin/rules/activate",
                    "{\"files\":{\"a.drl\":\"package x;\\nrule \\\"r\\\"\\nwhen\\n  Nope()\\nthen\\nend\\n\"}}");
            assertThat(bad.status()).isEqualTo(422);
            other.service().pollNow().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            assertThat(other.post("/v1/decisions", "{\"city\":\"demo\",\"userId\":\"y\"}").body()
                    .get("rulesVersion").asText()).isEqualTo(before);

            ServiceFixture.Response activated = admin("POST", "/v1/admin/rules/activate", body);
            assertThat(activated.status()).as(activated.text()).isEqualTo(200);
            String version = activated.body().get("active").asText();
            assertThat(version).isNotEqualTo(before);
            assertThat(service.post("/v1/decisions", "{\"city\":\"demo\",\"userId\":\"staff-1\"}").body()
                    .get("reasons").get(0).get("rule").asText()).isEqualTo("no-coupon-for-staff");

            other.service().pollNow().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            var onOther = other.post("/v1/decisions", "{\"city\":\"demo\",\"userId\":\"staff-2\"}").body();
            assertThat(onOther.get("rulesVersion").asText()).isEqualTo(version);
            assertThat(onOther.get("reasons").get(0).get("rule").asText()).isEqualTo("no-coupon-for-staff");

            assertThat(admin("POST", "/v1/admin/rules/rollback", null).status()).isEqualTo(200);
            other.service().pollNow().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            assertThat(other.post("/v1/decisions", "{\"city\":\"demo\",\"userId\":\"staff-3\"}").body()
                    .get("rulesVersion").asText()).isEqualTo(before);
        }
    }

    @Test
    void validateCompilesWithoutActivating() {
        String active = admin("GET", "/v1/admin/rules", null).body().get("active").asText();
        ServiceFixture.Response bad = admin("POST", "/v1/admin/rules/validate",
                "{\"files\":{\"a.drl\":\"package dev.allot.guardrails;\\nrule \\\"r\\\"\\nwhen\\n  Nope()\\nthen\\nend\\n\"}}");
        assertThat(bad.status()).isEqualTo(422);
        assertThat(bad.body().get("errors").get(0).get("file").asText()).isEqualTo("a.drl");
        assertThat(bad.body().get("errors").get(0).get("line").asInt()).isEqualTo(4);
        ServiceFixture.Response good = admin("POST", "/v1/admin/rules/validate",
                "{\"files\":{\"a.drl\":\"package dev.allot.guardrails;\\nrule \\\"r\\\"\\nwhen\\nthen\\nend\\n\"}}");
        assertThat(good.status()).isEqualTo(200);
        assertThat(good.body().get("valid").asBoolean()).isTrue();
        assertThat(admin("GET", "/v1/admin/rules", null).body().get("active").asText()).isEqualTo(active);
        assertThat(admin("POST", "/v1/admin/rules/validate", "{\"files\":{\"../evil\":\"x\"}}").body()
                .get("field").asText()).isEqualTo("files.../evil");
    }

    @Test
    void opsChangeGainsAndFreezeLambdaForEveryReplica() throws Exception {
        ServiceFixture.Response gains = admin("PUT", "/v1/admin/cities/demo/pid", "{\"kp\":0.2,\"kd\":5}");
        assertThat(gains.status()).as(gains.text()).isEqualTo(200);
        JsonNode state = service.state("demo").body();
        assertThat(state.get("pid").get("kp").asDouble()).isEqualTo(0.2);
        assertThat(state.get("pid").get("kd").asDouble()).isEqualTo(5.0);
        assertThat(state.get("pid").get("intervalSeconds").asDouble()).isEqualTo(3600.0);

        ServiceFixture.Response invalid = admin("PUT", "/v1/admin/cities/demo/pid", "{\"kp\":-1}");
        assertThat(invalid.status()).isEqualTo(400);
        assertThat(invalid.body().get("field").asText()).isEqualTo("kp");
        assertThat(admin("PUT", "/v1/admin/cities/demo/pid", "{\"kp\":\"fast\"}").body().get("field").asText())
                .isEqualTo("kp");

        ServiceFixture.Response frozen = admin("PUT", "/v1/admin/cities/demo/lambda", "{\"lambda\":1.5,\"freeze\":true}");
        assertThat(frozen.status()).as(frozen.text()).isEqualTo(200);
        assertThat(service.post("/v1/decisions", "{\"city\":\"demo\",\"userId\":\"fz\"}").body().get("lambda")
                .asDouble()).isEqualTo(1.5);
        var city = service.service().decisions().city("demo");
        assertThat(service.service().controller().tick(city, service.vertx().getOrCreateContext())
                .toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS)).isEmpty();
        assertThat(service.state("demo").body().get("frozen").asBoolean()).isTrue();
        assertThat(admin("PUT", "/v1/admin/cities/demo/lambda", "{\"lambda\":99}").body().get("field").asText())
                .isEqualTo("lambda");
        admin("PUT", "/v1/admin/cities/demo/lambda", "{\"freeze\":false}");
        assertThat(service.state("demo").body().get("frozen").asBoolean()).isFalse();
        assertThat(admin("PUT", "/v1/admin/cities/nowhere/pid", "{}").status()).isEqualTo(404);
    }

    @Test
    void aRuleThatThrowsAtRunTimeGivesNoCouponNotA500() throws Exception {
        java.util.Map<String, String> files = ServiceFixture.shippedRuleFiles();
        // Passes the sandbox (it only reads facts and acts on the verdict) but divides by zero when it fires.
        files.put("zz-buggy.drl", """
                rule "buggy-division"
                when
                    $v : Verdict()
                    Arrival( userId == "bug-1" )
                    LevelCandidate( level == 0, $zero : level )
                then
                    $v.capMaxLevel(5 / $zero);
                end
                """);
        String before = service.post("/v1/decisions", "{\"city\":\"demo\",\"userId\":\"x\"}").body()
                .get("rulesVersion").asText();
        ServiceFixture.Response activated = admin("POST", "/v1/admin/rules/activate",
                Json.MAPPER.writeValueAsString(java.util.Map.of("files", files)));
        assertThat(activated.status()).as(activated.text()).isEqualTo(200);
        try {
            ServiceFixture.Response hit = service.post("/v1/decisions",
                    "{\"city\":\"demo\",\"userId\":\"bug-1\",\"features\":{\"rides_30d\":2}}");
            assertThat(hit.status()).as(hit.text()).isEqualTo(200);
            assertThat(hit.body().get("coupon").asDouble()).isZero();
            assertThat(hit.body().get("reasons").get(0).get("rule").asText()).isEqualTo("guardrails-failed");
            assertThat(hit.text()).doesNotContain("ArithmeticException");
            // Arrivals the buggy rule does not match are decided by the rules as usual.
            ServiceFixture.Response other = service.post("/v1/decisions",
                    "{\"city\":\"demo\",\"userId\":\"fine-1\",\"attributes\":{\"fraud_risk\":true}}");
            assertThat(other.body().get("reasons").get(0).get("rule").asText()).isEqualTo("no-coupon-fraud-risk");
            assertThat(service.get("/metrics").text()).contains("guardrails-failed");
        } finally {
            assertThat(admin("POST", "/v1/admin/rules/rollback", null).body().get("active").asText())
                    .isEqualTo(before);
        }
    }

    @Test
    void aRuleSetThatFailsTooOftenIsReplacedByTheLastGoodOneAndReadinessSaysSo() throws Exception {
        java.util.Map<String, String> files = ServiceFixture.shippedRuleFiles();
        files.put("zz-buggy.drl", HostileRuleSets.BUGGY_FOR_CHURNED);
        String good = admin("GET", "/v1/admin/rules", null).body().get("active").asText();
        ServiceFixture.Response activated = admin("POST", "/v1/admin/rules/activate",
                Json.MAPPER.writeValueAsString(java.util.Map.of("files", files)));
        assertThat(activated.status()).as(activated.text()).isEqualTo(200);
        String buggy = activated.body().get("active").asText();

        // The default policy abandons a set once 10 evaluations failed at over 1%: here every churned arrival.
        java.util.List<String> ranWith = new java.util.ArrayList<>();
        for (int i = 0; i < 12; i++) {
            ServiceFixture.Response decision = service.post("/v1/decisions",
                    "{\"city\":\"demo\",\"userId\":\"churn-" + i + "\",\"segment\":\"churned\"}");
            assertThat(decision.status()).as(decision.text()).isEqualTo(200);
            ranWith.add(decision.body().get("rulesVersion").asText());
        }
        assertThat(ranWith.subList(0, 10)).containsOnly(buggy);
        assertThat(ranWith.subList(10, 12)).containsOnly(good);

        ServiceFixture.Response ready = service.get("/health/ready");
        assertThat(ready.status()).isEqualTo(200);
        assertThat(ready.body().get("status").asText()).isEqualTo("degraded");
        JsonNode fallback = ready.body().get("rules").get("demo").get("fallback");
        assertThat(fallback.get("from").asText()).isEqualTo(buggy);
        assertThat(fallback.get("to").asText()).isEqualTo(good);
        assertThat(fallback.get("failures").get("buggy-division").asLong()).isEqualTo(10);
        assertThat(service.state("demo").body().get("rules").get("fallback").get("from").asText())
                .isEqualTo(buggy);
        assertThat(service.get("/metrics").text()).containsPattern("allot_rules_fallback\\S* 1\\.0");

        // Activating a set (here the good one again) ends the fallback.
        ServiceFixture.Response fixed = admin("POST", "/v1/admin/rules/activate",
                Json.MAPPER.writeValueAsString(java.util.Map.of("files", ServiceFixture.shippedRuleFiles())));
        assertThat(fixed.status()).isEqualTo(200);
        assertThat(service.get("/health/ready").body().get("status").asText()).isEqualTo("ready");
        assertThat(service.get("/metrics").text()).containsPattern("allot_rules_fallback\\S* 0\\.0");
    }
}
