package dev.allot.app;

import com.fasterxml.jackson.databind.JsonNode;
import dev.allot.app.decision.CityRuntime;
import dev.allot.control.PidState;
import dev.allot.control.redis.EmbeddedRedisExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * What ops do to a city's controller through the admin API, on a simulated clock: ranges refused naming the
 * field, new gains and a new steering signal at the next tick, a freeze that ends by itself, every change audited.
 */
class OpsApiTest {

    @RegisterExtension
    static final EmbeddedRedisExtension REDIS = new EmbeddedRedisExtension();

    static ServiceFixture service;

    @BeforeAll
    static void start() throws Exception {
        service = ServiceFixture.start(REDIS, PidControlTest.CITY);
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    @BeforeEach
    void cleanRedis() throws Exception {
        service.resetRedis(REDIS);
    }

    private static ServiceFixture.Response put(String what, String body) {
        return service.admin("PUT", "/v1/admin/cities/demo/" + what, body, ServiceFixture.ADMIN_TOKEN);
    }

    /** Some arrivals (the city overspends at its starting λ), an interval later, and a tick. */
    private static Optional<PidState> decideAndTick() throws Exception {
        for (int i = 0; i < 40; i++) {
            service.post("/v1/decisions", "{\"city\":\"demo\",\"userId\":\"ops-" + System.nanoTime()
                    + "\",\"features\":{\"rides_30d\":" + (i % 9) + ",\"avg_fare\":14}}");
        }
        service.flushAndRefresh();
        service.clock.advance(Duration.ofSeconds(60));
        CityRuntime city = service.service().decisions().city("demo");
        Optional<PidState> state = service.service().controller().tick(city, service.vertx().getOrCreateContext())
                .toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
        service.flushAndRefresh();
        return state;
    }

    @Test
    void movingLambdaWithinATimedFreezeKeepsItsEnd() {
        String until = service.clock.instant().plusSeconds(600).toString();
        assertThat(put("lambda", "{\"lambda\": 1.5, \"freeze\": true, \"expiresInSeconds\": 600}").status())
                .isEqualTo(200);
        ServiceFixture.Response moved = put("lambda", "{\"lambda\": 1.7}");
        assertThat(moved.status()).isEqualTo(200);
        assertThat(moved.body().get("frozenUntil").asText()).isEqualTo(until);
        assertThat(service.state("demo").body().get("frozenUntil").asText()).isEqualTo(until);
        put("lambda", "{\"freeze\": false}");
    }

    @Test
    void valuesOutsideTheirRangesAreRefusedNamingTheField() {
        assertThat(put("pid", "{\"kp\": -1}").body().get("field").asText()).isEqualTo("kp");
        assertThat(put("pid", "{\"ki\": \"fast\"}").body().get("field").asText()).isEqualTo("ki");
        assertThat(put("pid", "{\"intervalSeconds\": 0}").body().get("field").asText()).isEqualTo("intervalSeconds");
        assertThat(put("pid", "{\"lambdaMin\": 3, \"lambdaMax\": 2}").body().get("field").asText())
                .isEqualTo("lambdaMin");
        assertThat(put("pid", "{\"steerOn\": \"sideways\"}").body().get("field").asText()).isEqualTo("steerOn");
        assertThat(put("lambda", "{\"lambda\": 99}").body().get("field").asText()).isEqualTo("lambda");
        ServiceFixture.Response noFreeze = put("lambda", "{\"lambda\": 1.0, \"freeze\": false, \"expiresInSeconds\": 60}");
        assertThat(noFreeze.status()).isEqualTo(400);
        assertThat(noFreeze.body().get("field").asText()).isEqualTo("expiresInSeconds");
        assertThat(put("pid", "{\"kp\": -1}").status()).isEqualTo(400);
    }

    @Test
    void newGainsAndSignalTakeEffectAtTheNextTickFromTheLambdaInForce() throws Exception {
        PidState first = decideAndTick().orElseThrow();
        ServiceFixture.Response changed = put("pid", "{\"kp\": 0.8, \"ki\": 0.01, \"steerOn\": \"expected\"}");
        assertThat(changed.status()).as(changed.text()).isEqualTo(200);
        JsonNode state = service.state("demo").body();
        assertThat(state.get("pid").get("kp").asDouble()).isEqualTo(0.8);
        assertThat(state.get("target").get("steerOn").asText()).isEqualTo("expected");

        PidState next = decideAndTick().orElseThrow();
        // Bumpless: the step starts from the λ in force, re-centred on the error it measures, and moves only by the
        // new integral gain's share of it, not by a jump to where the new gains would have put λ from the start.
        double fromNewGains = 0.01 * next.lastError() * 60;
        assertThat(first.lambda() + fromNewGains).as("inside the bounds, so no clamp").isBetween(0.0, 20.0);
        assertThat(next.lambda()).isCloseTo(first.lambda() + fromNewGains, within(1e-9));
        JsonNode audit = service.admin("GET", "/v1/admin/audit?action=pid", null, ServiceFixture.ADMIN_TOKEN).body();
        JsonNode entry = audit.get("entries").get(0);
        assertThat(entry.get("before").get("kp").asDouble()).isEqualTo(0.5);
        assertThat(entry.get("after").get("kp").asDouble()).isEqualTo(0.8);
        assertThat(entry.get("after").get("steerOn").asText()).isEqualTo("expected");
        put("pid", "{\"kp\": 0.5, \"ki\": 0.0025, \"steerOn\": \"realized\"}");
    }

    @Test
    void aFreezeHoldsLambdaUntilItExpiresThenTheControllerGoesOnFromIt() throws Exception {
        PidState before = decideAndTick().orElseThrow();
        String until = service.clock.instant().plusSeconds(150).toString();
        ServiceFixture.Response frozen = put("lambda", "{\"lambda\": 2.0, \"freeze\": true, \"expiresInSeconds\": 150}");
        assertThat(frozen.status()).as(frozen.text()).isEqualTo(200);
        assertThat(frozen.body().get("frozenUntil").asText()).isEqualTo(until);
        JsonNode state = service.state("demo").body();
        assertThat(state.get("frozen").asBoolean()).isTrue();
        assertThat(state.get("frozenUntil").asText()).isEqualTo(until);

        assertThat(decideAndTick()).as("a minute later: still frozen").isEmpty();
        assertThat(service.service().decisions().city("demo").lambda()).isEqualTo(2.0);
        assertThat(decideAndTick()).as("two minutes later: still frozen").isEmpty();
        PidState after = decideAndTick().orElseThrow();
        assertThat(service.state("demo").body().get("frozen").asBoolean()).as("three minutes: the freeze has ended")
                .isFalse();
        // The controller goes on from the held λ, re-centred on the error it measures: only the integral moves it.
        assertThat(after.lambda()).isCloseTo(2.0 + 0.0025 * after.lastError() * 60, within(1e-9));
        assertThat(before.lambda()).isNotEqualTo(2.0);
        JsonNode audit = service.admin("GET", "/v1/admin/audit?action=lambda", null, ServiceFixture.ADMIN_TOKEN).body();
        assertThat(audit.get("entries").get(0).get("after").get("frozenUntil").asText()).isEqualTo(until);
    }

    @Test
    void aWhatIfReplaysTheRecordedDayWithProposedGainsBesideTheGainsInForce() throws Exception {
        // Four minutes of the day, 40 arrivals each, the controller in force ticking every minute.
        for (int hour = 0; hour < 4; hour++) {
            decideAndTick();
        }
        String day = service.state("demo").body().get("day").asText();
        ServiceFixture.Response r = service.admin("POST", "/v1/admin/cities/demo/what-if",
                "{\"day\": \"" + day + "\", \"kp\": 0.05, \"ki\": 0.0001}", ServiceFixture.ADMIN_TOKEN);
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        JsonNode body = r.body();
        assertThat(body.get("decisions").asInt()).isEqualTo(160);
        JsonNode current = body.get("current");
        JsonNode proposed = body.get("proposed");
        assertThat(current.get("settings").get("kp").asDouble()).isEqualTo(0.5);
        assertThat(proposed.get("settings").get("kp").asDouble()).isEqualTo(0.05);
        assertThat(current.get("path")).hasSizeGreaterThanOrEqualTo(3);
        assertThat(proposed.get("path").size()).isEqualTo(current.get("path").size());
        // Much weaker gains move λ much less from the same start on the same day.
        double start = body.get("startLambda").asDouble();
        assertThat(Math.abs(proposed.get("endLambda").asDouble() - start))
                .isLessThan(Math.abs(current.get("endLambda").asDouble() - start));
        // Nothing changed: the city runs the gains it had.
        assertThat(service.state("demo").body().get("pid").get("kp").asDouble()).isEqualTo(0.5);

        assertThat(service.admin("POST", "/v1/admin/cities/demo/what-if", "{\"ki\": -1}",
                ServiceFixture.ADMIN_TOKEN).body().get("field").asText()).isEqualTo("ki");
        ServiceFixture.Response empty = service.admin("POST", "/v1/admin/cities/demo/what-if",
                "{\"day\": \"2020-01-01\"}", ServiceFixture.ADMIN_TOKEN);
        assertThat(empty.status()).isEqualTo(404);
        assertThat(empty.body().get("field").asText()).isEqualTo("day");
    }

    @Test
    void suggestedGainsComeWithTheirWhatIfAndChangeNothing() throws Exception {
        put("pid", "{\"kp\": 0.02, \"ki\": 0.00002}");
        for (int minute = 0; minute < 6; minute++) {
            decideAndTick();
        }
        ServiceFixture.Response r = service.admin("POST", "/v1/admin/cities/demo/suggest-gains", "{}",
                ServiceFixture.ADMIN_TOKEN);
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        JsonNode body = r.body();
        assertThat(body.get("evaluations").asInt()).isGreaterThan(10);
        assertThat(body.get("score").asDouble()).isLessThanOrEqualTo(body.get("currentScore").asDouble());
        assertThat(body.get("proposed").get("settings").get("kp").asDouble())
                .isEqualTo(body.get("suggested").get("kp").asDouble());
        assertThat(Math.abs(body.get("proposed").get("endDeviation").asDouble()))
                .isLessThanOrEqualTo(Math.abs(body.get("current").get("endDeviation").asDouble()) + 1e-9);
        assertThat(service.state("demo").body().get("pid").get("kp").asDouble()).as("nothing applied").isEqualTo(0.02);
        put("pid", "{\"kp\": 0.5, \"ki\": 0.0025}");
    }
}
