package dev.allot.app;

import com.fasterxml.jackson.databind.JsonNode;
import dev.allot.app.control.RuleSetStore;
import dev.allot.control.redis.EmbeddedRedisExtension;
import dev.allot.engine.Json;
import dev.allot.rules.HostileRuleSets;
import dev.allot.rules.HostileRuleSets.Hostile;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The hostile rule sets of the rules module, sent the two ways an attacker could: through the admin API with
 * the admin token, and written straight into the Redis hash replicas apply. Every one is refused with its file,
 * line, column and construct; none runs, the running set stays, and a replica that starts while Redis holds a
 * poisoned set does not apply it.
 */
class HostileRulesTest {

    @RegisterExtension
    static final EmbeddedRedisExtension REDIS = new EmbeddedRedisExtension();
    static final Path HOSTILE = Path.of("..", "rules").resolve(HostileRuleSets.DIRECTORY);

    static ServiceFixture service;
    static Path marker;
    static String shippedVersion;

    @BeforeAll
    static void start() throws Exception {
        service = ServiceFixture.start(REDIS, ServiceFixture.BASE_CITY);
        marker = Files.createTempDirectory("allot-hostile").resolve("pwned");
        shippedVersion = activeVersion(service);
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    static List<Hostile> hostile() {
        return HostileRuleSets.load(HOSTILE, marker);
    }

    static Map<String, String> withShipped(Hostile hostile) throws IOException {
        Map<String, String> files = new TreeMap<>(ServiceFixture.shippedRuleFiles());
        files.put(hostile.file(), hostile.text());
        return files;
    }

    static String activeVersion(ServiceFixture fixture) {
        return fixture.admin("GET", "/v1/admin/rules", null, ServiceFixture.ADMIN_TOKEN).body().get("active")
                .asText();
    }

    @Test
    void everyHostileSetIsRefusedByTheApiWithItsPlaceAndConstruct() throws Exception {
        List<Hostile> sets = hostile();
        assertThat(sets).hasSizeGreaterThanOrEqualTo(25);
        for (Hostile hostile : sets) {
            String body = Json.MAPPER.writeValueAsString(Map.of("files", withShipped(hostile)));
            for (String endpoint : List.of("/v1/admin/rules/validate", "/v1/admin/rules/activate")) {
                ServiceFixture.Response refused = service.admin("POST", endpoint, body, ServiceFixture.ADMIN_TOKEN);
                assertThat(refused.status()).as(hostile.file() + " " + endpoint + ": " + refused.text())
                        .isEqualTo(422);
                JsonNode errors = refused.body().get("errors");
                assertThat(errors).as(hostile.file()).isNotEmpty();
                assertThat(errors).as(hostile.file()).allSatisfy(e -> {
                    assertThat(e.get("file").asText()).isEqualTo(hostile.file());
                    assertThat(e.get("line").asInt()).isPositive();
                    assertThat(e.has("column")).isTrue();
                });
                assertThat(errors).as(hostile.file()).anySatisfy(e -> assertThat(e.get("message").asText())
                        .contains(hostile.expected()));
            }
        }
        assertNothingRan();
    }

    @Test
    void aHostileSetWrittenStraightIntoRedisIsNotApplied() throws Exception {
        try (StatefulRedisConnection<String, String> redis = REDIS.connect()) {
            for (Hostile hostile : hostile()) {
                redis.sync().hset(RuleSetStore.key("demo"), Map.of("version", "rules-" + hostile.file(), "files",
                        Json.MAPPER.writeValueAsString(withShipped(hostile)), "source", "attacker"));
                service.service().pollNow().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);

                assertThat(activeVersion(service)).as(hostile.file()).isEqualTo(shippedVersion);
                JsonNode lastErrors = service.admin("GET", "/v1/admin/rules", null, ServiceFixture.ADMIN_TOKEN)
                        .body().get("lastErrors");
                assertThat(lastErrors).as(hostile.file()).anySatisfy(e -> assertThat(e.get("message").asText())
                        .contains(hostile.expected()));
            }
            // A replica started while the poisoned set is stored serves its own directory's rules.
            try (ServiceFixture restarted = ServiceFixture.start(REDIS, ServiceFixture.BASE_CITY)) {
                assertThat(activeVersion(restarted)).isEqualTo(shippedVersion);
                assertThat(restarted.post("/v1/decisions", "{\"city\":\"demo\",\"userId\":\"u\"}").status())
                        .isEqualTo(200);
            } finally {
                redis.sync().del(RuleSetStore.key("demo"));
            }
        }
        assertNothingRan();
    }

    private static void assertNothingRan() {
        assertThat(marker).doesNotExist();
        assertThat(System.getProperty(HostileRuleSets.PWNED)).isNull();
        ServiceFixture.Response decision = service.post("/v1/decisions",
                "{\"city\":\"demo\",\"userId\":\"after-the-attack\"}");
        assertThat(decision.status()).isEqualTo(200);
        assertThat(decision.body().get("rulesVersion").asText()).isEqualTo(shippedVersion);
        assertThat(decision.text()).doesNotContain("root:");
        assertThat(service.get("/health/live").status()).isEqualTo(200);
    }
}
