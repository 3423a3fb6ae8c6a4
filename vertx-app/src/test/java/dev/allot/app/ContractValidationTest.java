package dev.allot.app;

import dev.allot.control.redis.EmbeddedRedisExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Admin request bodies are held to the OpenAPI contract the service publishes: a body outside it gets a 400 that
 * names the field, before any handler acts, and nothing changes.
 */
class ContractValidationTest {

    @RegisterExtension
    static final EmbeddedRedisExtension REDIS = new EmbeddedRedisExtension();

    static ServiceFixture service;

    @BeforeAll
    static void start() throws Exception {
        service = ServiceFixture.start(REDIS, ServiceFixture.BASE_CITY);
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    @ParameterizedTest(name = "{0} {1} {2} -> field {3}")
    @CsvSource(delimiter = '|', value = {
            "PUT  | /v1/admin/cities/demo/pid           | {\"kp\": -1}                          | kp",
            "PUT  | /v1/admin/cities/demo/pid           | {\"kp\": \"fast\"}                    | kp",
            "PUT  | /v1/admin/cities/demo/pid           | {\"kq\": 1}                           | kq",
            "PUT  | /v1/admin/cities/demo/pid           | {\"steerOn\": \"guessed\"}            | steerOn",
            "PUT  | /v1/admin/cities/demo/pid           | {\"intervalSeconds\": 0}              | intervalSeconds",
            "PUT  | /v1/admin/cities/demo/lambda        | {\"lambda\": 1, \"expiresInSeconds\": 999999999} | expiresInSeconds",
            "PUT  | /v1/admin/cities/demo/lambda0       | {\"lambda\": 1}                       | day",
            "POST | /v1/admin/cities/demo/what-if       | {\"seed\": 1.5}                       | seed",
            "POST | /v1/admin/cities/demo/suggest-gains | {\"days\": [\"2026-11-24\", 7]}       | days[1]",
            "PUT  | /v1/admin/cities/demo/model         | {\"model\": \"/tmp/m\"}               | model",
            "POST | /v1/admin/rules/validate            | {\"cities\": [\"demo\"]}              | files",
            "POST | /v1/admin/rules/drafts              | {\"files\": {\"a.json\": 3}}          | files.a.json",
            "POST | /v1/admin/rules/versions/v1/dry-run | {\"last\": 0}                         | last",
    })
    void aBodyOutsideTheContractIsRefusedNamingTheField(String method, String path, String body, String field) {
        double kpBefore = service.state("demo").body().path("pid").path("kp").asDouble();
        ServiceFixture.Response r = service.admin(method, path, body, ServiceFixture.ADMIN_TOKEN);
        assertThat(r.status()).as(r.text()).isEqualTo(400);
        assertThat(r.body().path("error").asText()).isEqualTo("invalid_request");
        assertThat(r.body().path("field").asText()).as(r.text()).isEqualTo(field);
        assertThat(r.body().path("message").asText()).contains(field);
        assertThat(service.state("demo").body().path("pid").path("kp").asDouble()).isEqualTo(kpBefore);
    }

    @Test
    void aBodyWithinTheContractReachesTheHandler() {
        ServiceFixture.Response r = service.admin("PUT", "/v1/admin/cities/demo/pid", "{\"kp\": 0.07}",
                ServiceFixture.ADMIN_TOKEN);
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        assertThat(service.state("demo").body().path("pid").path("kp").asDouble()).isEqualTo(0.07);
        // What the schema cannot say, the handler still checks: λ within the city's bounds.
        ServiceFixture.Response high = service.admin("PUT", "/v1/admin/cities/demo/lambda", "{\"lambda\": 11}",
                ServiceFixture.ADMIN_TOKEN);
        assertThat(high.status()).isEqualTo(400);
        assertThat(high.body().path("field").asText()).isEqualTo("lambda");
    }

    @Test
    void aNullFieldReadsAsAbsentAsTheHandlersReadIt() {
        ServiceFixture.Response r = service.admin("PUT", "/v1/admin/cities/demo/pid",
                "{\"kp\": 0.06, \"steerOn\": null, \"ki\": null}", ServiceFixture.ADMIN_TOKEN);
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        assertThat(service.state("demo").body().path("pid").path("kp").asDouble()).isEqualTo(0.06);
    }

    @Test
    void theBodiesTheConsoleSendsFitTheContract() {
        // A what-if with every field of the console's form, and a dry-run naming its city.
        ServiceFixture.Response whatIf = service.admin("POST", "/v1/admin/cities/demo/what-if",
                "{\"kp\": 0.5, \"ki\": 0.001, \"kd\": 0, \"intervalSeconds\": 600, \"lambdaMin\": 0,"
                        + " \"lambdaMax\": 10, \"steerOn\": \"expected\", \"day\": \"2020-01-01\"}",
                ServiceFixture.ADMIN_TOKEN);
        assertThat(whatIf.status()).as(whatIf.text()).isEqualTo(404);  // past the contract: no decisions that day
        assertThat(whatIf.body().path("field").asText()).isEqualTo("day");
        ServiceFixture.Response dryRun = service.admin("POST", "/v1/admin/rules/versions/rules-none/dry-run",
                "{\"city\": \"demo\"}", ServiceFixture.ADMIN_TOKEN);
        assertThat(dryRun.status()).as(dryRun.text()).isEqualTo(404);
        assertThat(dryRun.body().path("field").asText()).isEqualTo("version");
    }

    @Test
    void aBodyThatIsNotJsonIsStillRefusedWithItsLineAndColumn() {
        ServiceFixture.Response r = service.admin("PUT", "/v1/admin/cities/demo/pid", "{\"kp\": 0.1,\n  \"ki\" 2}",
                ServiceFixture.ADMIN_TOKEN);
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.body().path("error").asText()).isEqualTo("invalid_json");
        assertThat(r.body().path("message").asText()).contains("line 2");
    }

    @Test
    void anUnauthenticatedBodyIsRefusedBeforeItIsValidated() {
        ServiceFixture.Response r = service.admin("PUT", "/v1/admin/cities/demo/pid", "{\"kp\": -1}", null);
        assertThat(r.status()).isEqualTo(401);
    }
}
