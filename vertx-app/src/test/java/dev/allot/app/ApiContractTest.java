package dev.allot.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.allot.control.redis.EmbeddedRedisExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/** The OpenAPI contract and the router name the same operations, and the contract is served with Swagger UI. */
class ApiContractTest {

    @RegisterExtension
    static final EmbeddedRedisExtension REDIS = new EmbeddedRedisExtension();

    /** Routes that serve the contract itself. */
    private static final Set<String> DOCUMENTATION = Set.of("GET /openapi.yaml", "GET /docs/swagger-initializer.js");

    static ServiceFixture service;

    @BeforeAll
    static void start() throws Exception {
        service = ServiceFixture.start(REDIS, ServiceFixture.BASE_CITY);
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    @Test
    void everyRouteIsInTheContractAndEveryOperationIsRouted() throws Exception {
        ServiceFixture.Response served = service.get("/openapi.yaml");
        assertThat(served.status()).isEqualTo(200);
        JsonNode contract = new YAMLMapper().readTree(served.text());
        assertThat(contract.path("openapi").asText()).startsWith("3.");
        Set<String> documented = new TreeSet<>();
        contract.path("paths").fields().forEachRemaining(path -> path.getValue().fieldNames().forEachRemaining(
                method -> documented.add(method.toUpperCase() + " " + path.getKey().replaceAll("\\{([^}]+)}", ":$1"))));
        Set<String> routed = new TreeSet<>(service.service().routes());
        routed.removeAll(DOCUMENTATION);
        assertThat(documented).as("operations in the contract").containsExactlyInAnyOrderElementsOf(routed);
        assertThat(documented).hasSizeGreaterThan(20);
    }

    @Test
    void swaggerUiReadsTheContract() {
        ServiceFixture.Response page = service.get("/docs/");
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.text()).contains("swagger-ui");
        assertThat(service.get("/docs/swagger-initializer.js").text()).contains("/openapi.yaml");
        assertThat(service.get("/docs/swagger-ui-bundle.js").status()).isEqualTo(200);
    }
}
