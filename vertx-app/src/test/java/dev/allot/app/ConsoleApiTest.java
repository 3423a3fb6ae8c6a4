package dev.allot.app;

import com.fasterxml.jackson.databind.JsonNode;
import dev.allot.control.redis.EmbeddedRedisExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** What the console reads: who is signed in, the cities, a city's day as charted, the model card, the running rules. */
class ConsoleApiTest {

    @RegisterExtension
    static final EmbeddedRedisExtension REDIS = new EmbeddedRedisExtension();

    static final String READER = "rita-reads";

    static ServiceFixture service;

    @BeforeAll
    static void start() throws Exception {
        Path dir = Files.createTempDirectory("allot-console-api");
        Files.writeString(dir.resolve("identities.json"), """
                { "tokens": [ { "name": "rita", "token": "%s", "scopes": ["read"] },
                              { "name": "nobody", "token": "no-scopes", "scopes": [] } ] }
                """.formatted(READER));
        service = ServiceFixture.start(REDIS, ServiceFixture.BASE_CITY,
                s -> s.withIdentities(dir.resolve("identities.json")));
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    private static ServiceFixture.Response get(String path) {
        return service.admin("GET", path, null, READER);
    }

    private static void decide(String user, int n) {
        for (int i = 0; i < n; i++) {
            assertThat(service.post("/v1/decisions", "{\"city\":\"demo\",\"userId\":\"" + user + i + "\","
                    + "\"segment\":\"new\",\"features\":{\"rides_30d\":" + (i % 9) + "}}").status()).isEqualTo(200);
        }
    }

    @Test
    void whoamiNamesTheIdentityAndItsScopes() {
        JsonNode me = get("/v1/admin/whoami").body();
        assertThat(me.path("name").asText()).isEqualTo("rita");
        assertThat(me.path("scopes").toString()).isEqualTo("[\"read\"]");
        // Any identity may ask who it is, even one that may read nothing; a stranger may not.
        assertThat(service.admin("GET", "/v1/admin/whoami", null, "no-scopes").status()).isEqualTo(200);
        assertThat(service.admin("GET", "/v1/admin/whoami", null, "wrong").status()).isEqualTo(401);
        assertThat(service.admin("GET", "/v1/admin/cities", null, "no-scopes").status()).isEqualTo(403);
    }

    @Test
    void citiesListsEachCityWithItsState() {
        JsonNode cities = get("/v1/admin/cities").body().path("cities");
        assertThat(cities).hasSize(1);
        JsonNode demo = cities.get(0);
        assertThat(demo.path("city").asText()).isEqualTo("demo");
        assertThat(demo.path("rules").path("version").asText()).startsWith("rules-");
        assertThat(demo.path("target").path("value").asDouble()).isEqualTo(14.5);
    }

    /** The day's chart as one verticle serves it, once its cached view is stale (a second old). */
    private static JsonNode freshChart(String day) throws InterruptedException {
        Thread.sleep(1_100);
        return get("/v1/admin/cities/demo/day?day=" + day).body();
    }

    private static long sum(JsonNode counts) {
        long n = 0;
        for (JsonNode c : counts) {
            n += c.asLong();
        }
        return n;
    }

    @Test
    void aDayChartCountsEachDecisionOnceAsTheStreamGrows() throws Exception {
        String day = service.state("demo").body().path("day").asText();
        long before = get("/v1/admin/cities/demo/day?day=" + day).body().path("decisions").asLong();
        decide("chart-a-", 30);
        service.flushAndRefresh();
        assertThat(freshChart(day).path("decisions").asLong()).isEqualTo(before + 30);
        service.clock.advance(Duration.ofMinutes(20));
        decide("chart-b-", 20);
        service.flushAndRefresh();
        // Read forward again and again: nothing new, nothing counted twice.
        for (int i = 0; i < 3; i++) {
            JsonNode chart = freshChart(day);
            assertThat(chart.path("decisions").asLong()).isEqualTo(before + 50);
            long inPoints = 0;
            for (JsonNode p : chart.path("points")) {
                inPoints += p.path("decisions").asLong();
            }
            assertThat(inPoints).isEqualTo(before + 50);
            assertThat(sum(chart.path("levels"))).isEqualTo(before + 50);
            assertThat(chart.path("behind").asBoolean()).isFalse();
        }
        JsonNode chart = get("/v1/admin/cities/demo/day?day=" + day).body();
        JsonNode last = chart.path("points").get(chart.path("points").size() - 1);
        JsonNode state = service.state("demo").body();
        // The running measure at the last bucket is the day's expected measure the state reports.
        assertThat(last.path("measured").asDouble())
                .isCloseTo(state.path("target").path("measured").asDouble(), org.assertj.core.api.Assertions.within(1e-6));
        assertThat(chart.path("target").asDouble()).isEqualTo(14.5);
    }

    @Test
    void aRecordTheChartCannotReadIsSkippedAndCountedNotFoldedTwice() throws Exception {
        String day = service.state("demo").body().path("day").asText();
        long before = freshChart(day).path("decisions").asLong();
        // What a newer release's record looks like to this one during a rolling upgrade.
        try (var redis = REDIS.connect()) {
            redis.sync().xadd(dev.allot.control.redis.RedisKeys.decisions("demo"),
                    java.util.Map.of(dev.allot.engine.DecisionCodec.FIELD, "{\"format\": 99, \"day\": \"" + day + "\"}"));
        }
        decide("after-bad-", 5);
        service.flushAndRefresh();
        for (int i = 0; i < 3; i++) {
            JsonNode chart = freshChart(day);
            assertThat(chart.path("decisions").asLong()).isEqualTo(before + 5);
            assertThat(chart.path("unreadable").asLong()).isEqualTo(1);
        }
    }

    @Test
    void aDayWithoutDecisionsIsAnEmptyChartAndABadDayNamesTheField() {
        JsonNode empty = get("/v1/admin/cities/demo/day?day=2020-01-01").body();
        assertThat(empty.path("decisions").asLong()).isZero();
        assertThat(empty.path("points")).isEmpty();
        ServiceFixture.Response bad = get("/v1/admin/cities/demo/day?day=yesterday");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.body().path("field").asText()).isEqualTo("day");
        assertThat(get("/v1/admin/cities/nowhere/day").status()).isEqualTo(404);
    }

    @Test
    void theModelCardCarriesValidationMetricsAndCalibration() {
        JsonNode model = get("/v1/admin/cities/demo/model").body();
        JsonNode card = model.path("card");
        assertThat(card.path("version").asText()).isEqualTo(service.state("demo").body().path("modelVersion").asText());
        assertThat(card.path("metrics").path("auc").asDouble()).isBetween(0.55, 1.0);
        assertThat(card.path("metrics").path("pcoc").asDouble()).isBetween(0.9, 1.1);
        assertThat(card.path("calibration")).hasSize(10);
        assertThat(model.path("swaps").isArray()).isTrue();
    }

    @Test
    void theRunningRulesFilesAreThereToStartADraftFrom() throws Exception {
        JsonNode active = get("/v1/admin/rules/active?city=demo").body();
        assertThat(active.path("version").asText())
                .isEqualTo(get("/v1/admin/rules").body().path("cities").path("demo").path("active").asText());
        assertThat(active.path("files").fieldNames()).toIterable()
                .containsExactlyInAnyOrderElementsOf(ServiceFixture.shippedRuleFiles().keySet());
        assertThat(active.path("files").path("fairness.json").asText())
                .isEqualTo(ServiceFixture.shippedRuleFiles().get("fairness.json"));
    }

    @Test
    void theConsoleIsServedWithItsLibraries() {
        ServiceFixture.Response page = service.get("/console/");
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.text()).contains("vendor/echarts/echarts.min.js").contains("console.js");
        assertThat(service.get("/console/vendor/echarts/echarts.min.js").status()).isEqualTo(200);
        assertThat(service.get("/console/vendor/codemirror/lib/codemirror.js").status()).isEqualTo(200);
        assertThat(service.get("/console/console.js").text()).contains("/v1/admin/whoami");
    }
}
