package dev.allot.app.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The OpenAPI 3 contract of the HTTP API ({@code api/openapi.yaml} in the jar), served at {@code /openapi.yaml},
 * and where Swagger UI's files are in the jar. {@code ApiContractTest} checks that the router and the contract name
 * the same operations.
 */
final class ApiContract {

    /** The swagger-ui WebJar's directory; the version is the pom's {@code swagger-ui.version}. */
    static final String SWAGGER_UI = "META-INF/resources/webjars/swagger-ui/5.34.1";

    /** The contract's place on the classpath. */
    static final String RESOURCE = "api/openapi.yaml";

    static final String YAML = read(RESOURCE);

    private ApiContract() {
    }

    private static String read(String resource) {
        try (InputStream in = ApiContract.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is missing from the jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
