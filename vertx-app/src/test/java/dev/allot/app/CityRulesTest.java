package dev.allot.app;

import com.fasterxml.jackson.databind.JsonNode;
import dev.allot.control.redis.EmbeddedRedisExtension;
import dev.allot.engine.Json;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Rule sets per city: each city checks rules against the fields it declares, a set activated for named cities
 * leaves the others alone, and each decision records the set its city ran.
 */
class CityRulesTest {

    @RegisterExtension
    static final EmbeddedRedisExtension REDIS = new EmbeddedRedisExtension();

    static ServiceFixture service;

    /** Only Lyon declares the loyalty tier. */
    static final String LYON = ServiceFixture.city("""
            { "city": "lyon", "currency": "EUR",
              "ruleFields": { "attributes": { "fraud_risk": "boolean", "has_subscription": "boolean",
                                              "tier": "string" } } }
            """);

    static final String GOLD_RULE = """
            { "rules": [ { "name": "gold-small-coupons",
                "when": [ { "field": "attribute.tier", "op": "==", "value": "gold" } ],
                "then": { "action": "capMaxLevel", "level": 1 } } ] }
            """;

    @BeforeAll
    static void start() throws Exception {
        service = ServiceFixture.start(REDIS, List.of(ServiceFixture.BASE_CITY, LYON), UnaryOperator.identity());
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    private static ServiceFixture.Response admin(String method, String path, Object body) throws Exception {
        return service.admin(method, path, body == null ? null : Json.MAPPER.writeValueAsString(body),
                ServiceFixture.ADMIN_TOKEN);
    }

    private static JsonNode decide(String city, String tier) {
        return service.post("/v1/decisions", "{\"city\":\"" + city + "\",\"userId\":\"u\",\"segment\":\"new\","
                + "\"attributes\":{\"tier\":\"" + tier + "\"}}").body();
    }

    @Test
    void aSetNamingAFieldOneCityLacksIsRefusedForAllButAcceptedForTheCityThatDeclaresIt() throws Exception {
        Map<String, String> files = new TreeMap<>(ServiceFixture.shippedRuleFiles());
        files.put("zz-gold.json", GOLD_RULE);
        String demoBefore = decide("demo", "gold").get("rulesVersion").asText();

        ServiceFixture.Response everywhere = admin("POST", "/v1/admin/rules/activate", Map.of("files", files));
        assertThat(everywhere.status()).isEqualTo(422);
        assertThat(everywhere.body().get("errors").get(0).get("message").asText())
                .contains("city demo: ").contains("attribute \"tier\" is not declared");

        ServiceFixture.Response lyonOnly = admin("POST", "/v1/admin/rules/activate", Map.of("files", files,
                "cities", List.of("lyon")));
        assertThat(lyonOnly.status()).as(lyonOnly.text()).isEqualTo(200);
        String lyonVersion = lyonOnly.body().get("active").asText();

        JsonNode lyon = decide("lyon", "gold");
        assertThat(lyon.get("rulesVersion").asText()).isEqualTo(lyonVersion);
        assertThat(lyon.get("reasons").get(0).get("rule").asText()).isEqualTo("gold-small-coupons");
        assertThat(lyon.get("level").asInt()).isLessThanOrEqualTo(1);
        JsonNode demo = decide("demo", "gold");
        assertThat(demo.get("rulesVersion").asText()).isEqualTo(demoBefore);
        assertThat(demo.get("reasons")).isEmpty();

        JsonNode overview = admin("GET", "/v1/admin/rules", null).body();
        assertThat(overview.get("cities").get("lyon").get("active").asText()).isEqualTo(lyonVersion);
        assertThat(overview.get("cities").get("demo").get("active").asText()).isEqualTo(demoBefore);
        assertThat(overview.get("active").isNull()).as("no single active version").isTrue();
        assertThat(service.get("/health/ready").body().get("rulesVersion").get("lyon").asText())
                .isEqualTo(lyonVersion);

        // Rolling back Lyon alone.
        ServiceFixture.Response rolled = admin("POST", "/v1/admin/rules/rollback?city=lyon", null);
        assertThat(rolled.status()).isEqualTo(200);
        assertThat(decide("lyon", "gold").get("rulesVersion").asText()).isEqualTo(demoBefore);
        assertThat(admin("POST", "/v1/admin/rules/rollback?city=paris", null).body().get("field").asText())
                .isEqualTo("cities");
    }
}
