package dev.allot.app;

import com.fasterxml.jackson.databind.JsonNode;
import dev.allot.app.auth.Identities;
import dev.allot.control.redis.EmbeddedRedisExtension;
import dev.allot.engine.config.ConfigException;
import dev.allot.engine.Json;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Identities and scopes on the admin API (static tokens from an identities file, JWTs verified with the identity
 * provider's public key, the all-scopes admin token), and the audit trail every change leaves.
 */
class RolesAndAuditTest {

    @RegisterExtension
    static final EmbeddedRedisExtension REDIS = new EmbeddedRedisExtension();

    static final String ALICE = "alice-edits-rules";
    static final String BOB = "bob-approves-rules";
    static final String OLGA = "olga-runs-ops";
    static final String READER = "rita-reads";

    static ServiceFixture service;
    static Vertx signer;
    static JWTAuth idp;
    static JWTAuth stranger;

    @BeforeAll
    static void start() throws Exception {
        Path dir = Files.createTempDirectory("allot-identities");
        KeyPair keys = rsa();
        Files.writeString(dir.resolve("idp.pem"), pem("PUBLIC KEY", keys.getPublic().getEncoded()));
        Files.writeString(dir.resolve("identities.json"), """
                { "tokens": [
                    { "name": "alice", "token": "%s", "scopes": ["rules:edit", "read"] },
                    { "name": "bob", "sha256": "%s", "scopes": ["rules:approve", "read"] },
                    { "name": "olga", "token": "%s", "scopes": ["ops"] },
                    { "name": "rita", "token": "%s", "scopes": ["read"] } ],
                  "jwt": { "publicKey": "idp.pem", "algorithm": "RS256", "issuer": "https://idp.example",
                           "audience": "allot", "scopesClaim": "scope", "nameClaim": "sub" } }
                """.formatted(ALICE, sha256(BOB), OLGA, READER));
        service = ServiceFixture.start(REDIS, ServiceFixture.BASE_CITY,
                s -> s.withIdentities(dir.resolve("identities.json")));
        signer = Vertx.vertx();
        idp = signer(keys);
        stranger = signer(rsa());
    }

    @AfterAll
    static void stop() {
        service.close();
        signer.close();
    }

    static KeyPair rsa() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        return generator.generateKeyPair();
    }

    static JWTAuth signer(KeyPair keys) {
        return JWTAuth.create(signer, new JWTAuthOptions().addPubSecKey(new PubSecKeyOptions().setAlgorithm("RS256")
                .setBuffer(pem("PRIVATE KEY", keys.getPrivate().getEncoded()))));
    }

    static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    static String sha256(String token) throws Exception {
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(token.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    static String jwt(JWTAuth by, String subject, String scope, int expiresInSeconds) {
        long now = System.currentTimeMillis() / 1000;
        return by.generateToken(new JsonObject().put("sub", subject).put("scope", scope).put("iat", now - 600)
                        .put("exp", now + expiresInSeconds),
                new JWTOptions().setAlgorithm("RS256").setIssuer("https://idp.example").addAudience("allot")
                        .setNoTimestamp(true));
    }

    private static int status(String method, String path, String body, String token) {
        return service.admin(method, path, body, token).status();
    }

    private static String rulesBody() throws Exception {
        return Json.MAPPER.writeValueAsString(Map.of("files", ServiceFixture.shippedRuleFiles()));
    }

    @Test
    void noTokenOrAnUnknownOneIs401AndTheMetricsStayOpen() {
        for (String path : List.of("/v1/admin/rules", "/v1/admin/audit", "/v1/cities/demo/state",
                "/v1/admin/no-such-route")) {
            assertThat(status("GET", path, null, null)).as(path).isEqualTo(401);
            assertThat(status("GET", path, null, "not-a-token")).as(path).isEqualTo(401);
        }
        ServiceFixture.Response metrics = service.get("/metrics");
        assertThat(metrics.status()).isEqualTo(200);
        assertThat(metrics.text()).doesNotContain(ALICE, BOB, OLGA, READER, ServiceFixture.ADMIN_TOKEN);
    }

    @Test
    void eachIdentityMayDoWhatItsScopesSayAndNothingElse() throws Exception {
        String rules = rulesBody();
        String gains = "{\"kp\":0.06}";
        // alice edits rules: validates, cannot activate, cannot touch the controller.
        assertThat(status("POST", "/v1/admin/rules/validate", rules, ALICE)).isEqualTo(200);
        assertThat(status("POST", "/v1/admin/rules/activate", rules, ALICE)).isEqualTo(403);
        assertThat(status("PUT", "/v1/admin/cities/demo/pid", gains, ALICE)).isEqualTo(403);
        // bob approves: activates and rolls back, cannot edit drafts' validation or the controller.
        assertThat(status("POST", "/v1/admin/rules/activate", rules, BOB)).isEqualTo(200);
        assertThat(status("POST", "/v1/admin/rules/validate", rules, BOB)).isEqualTo(403);
        assertThat(status("PUT", "/v1/admin/cities/demo/lambda", "{\"lambda\":0.5}", BOB)).isEqualTo(403);
        // olga runs ops: gains and λ, no rules, no reading the audit.
        assertThat(status("PUT", "/v1/admin/cities/demo/pid", gains, OLGA)).isEqualTo(200);
        assertThat(status("POST", "/v1/admin/rules/validate", rules, OLGA)).isEqualTo(403);
        assertThat(status("GET", "/v1/admin/audit", null, OLGA)).isEqualTo(403);
        // rita reads.
        assertThat(status("GET", "/v1/cities/demo/state", null, READER)).isEqualTo(200);
        assertThat(status("GET", "/v1/admin/rules", null, READER)).isEqualTo(200);
        assertThat(status("GET", "/v1/admin/audit", null, READER)).isEqualTo(200);
        assertThat(status("PUT", "/v1/admin/cities/demo/pid", gains, READER)).isEqualTo(403);
        // The 403 says who lacks what.
        assertThat(service.admin("POST", "/v1/admin/rules/activate", rules, ALICE).body().get("message").asText())
                .isEqualTo("alice lacks the scope rules:approve this call needs");
    }

    @Test
    void theSchemeIsCaseInsensitiveAsHttpSays() {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + service.service().port() + "/v1/admin/rules")).header("Authorization", "bearer " + READER).GET();
        assertThat(service.send(request).status()).isEqualTo(200);
    }

    @Test
    void jwtsFromTheIdentityProviderCarryTheirScopesAndAreCheckedForSignatureAndExpiry() {
        String ops = jwt(idp, "oscar@example.com", "ops read", 300);
        assertThat(status("PUT", "/v1/admin/cities/demo/lambda", "{\"lambda\":0.4}", ops)).isEqualTo(200);
        assertThat(status("POST", "/v1/admin/rules/validate", "{\"files\":{\"a.drl\":\"\"}}", ops)).isEqualTo(403);

        assertThat(status("GET", "/v1/admin/rules", null, jwt(stranger, "mallory", "ops read", 300)))
                .as("signed by another key").isEqualTo(401);
        assertThat(status("GET", "/v1/admin/rules", null, jwt(idp, "late", "read", -120)))
                .as("expired").isEqualTo(401);
        String forever = idp.generateToken(new JsonObject().put("sub", "eve").put("scope", "read"),
                new JWTOptions().setAlgorithm("RS256").setIssuer("https://idp.example").addAudience("allot")
                        .setNoTimestamp(true));
        assertThat(status("GET", "/v1/admin/rules", null, forever)).as("no expiry").isEqualTo(401);
        String elsewhere = idp.generateToken(new JsonObject().put("sub", "eve").put("scope", "read"),
                new JWTOptions().setAlgorithm("RS256").setIssuer("https://idp.example").addAudience("payroll")
                        .setExpiresInSeconds(300));
        assertThat(status("GET", "/v1/admin/rules", null, elsewhere)).as("another audience").isEqualTo(401);

        JsonNode entries = service.admin("GET", "/v1/admin/audit?who=oscar@example.com", null, READER).body()
                .get("entries");
        assertThat(entries).isNotEmpty();
        assertThat(entries.get(0).get("action").asText()).isEqualTo("lambda.set");
        assertThat(entries.get(0).get("after").get("lambda").asDouble()).isEqualTo(0.4);
    }

    @Test
    void everyAdminChangeIsAuditedWithWhoBeforeAndAfter() throws Exception {
        double kpBefore = service.state("demo").body().get("pid").get("kp").asDouble();
        assertThat(service.admin("PUT", "/v1/admin/cities/demo/pid", "{\"kp\":0.07}", OLGA).body()
                .get("audited").asBoolean()).isTrue();
        assertThat(status("PUT", "/v1/admin/cities/demo/lambda", "{\"lambda\":0.6,\"freeze\":true}", OLGA))
                .isEqualTo(200);
        assertThat(status("PUT", "/v1/admin/cities/demo/lambda", "{\"freeze\":false}", OLGA)).isEqualTo(200);
        assertThat(status("PUT", "/v1/admin/cities/demo/lambda0", "{\"day\":\"2026-11-24\",\"lambda\":0.7}", OLGA))
                .isEqualTo(200);
        ServiceFixture.Response swapped = service.admin("PUT", "/v1/admin/cities/demo/model", "{}", OLGA);
        assertThat(swapped.status()).as(swapped.text()).isEqualTo(200);
        String before = service.admin("GET", "/v1/admin/rules", null, READER).body().get("active").asText();
        java.util.Map<String, String> files = ServiceFixture.shippedRuleFiles();
        files.put("zz-extra.json", """
                { "rules": [ { "name": "deny-staff", "when": [ { "field": "userId", "op": "startsWith",
                  "value": "staff-" } ], "then": { "action": "deny", "reason": "staff" } } ] }
                """);
        String activated = service.admin("POST", "/v1/admin/rules/activate",
                Json.MAPPER.writeValueAsString(Map.of("files", files)), BOB).body().get("active").asText();
        assertThat(status("POST", "/v1/admin/rules/rollback", null, BOB)).isEqualTo(200);

        JsonNode pid = service.admin("GET", "/v1/admin/audit?action=pid.&who=olga&limit=1", null, READER).body()
                .get("entries").get(0);
        assertThat(pid.get("target").asText()).isEqualTo("demo");
        assertThat(pid.get("before").get("kp").asDouble()).isEqualTo(kpBefore);
        assertThat(pid.get("after").get("kp").asDouble()).isEqualTo(0.07);
        assertThat(pid.get("at").asText()).isNotBlank();

        JsonNode rules = service.admin("GET", "/v1/admin/audit?action=rules.&who=bob", null, READER).body()
                .get("entries");
        assertThat(rules).extracting(e -> e.get("action").asText()).startsWith("rules.rollback", "rules.activate");
        assertThat(rules.get(1).get("target").asText()).isEqualTo("demo");
        assertThat(rules.get(1).get("before").get("versions").get("demo").asText()).isEqualTo(before);
        assertThat(rules.get(1).get("after").get("version").asText()).isEqualTo(activated);
        assertThat(rules.get(0).get("before").get("versions").get("demo").asText()).isEqualTo(activated);
        assertThat(rules.get(0).get("after").get("versions").get("demo").asText()).isEqualTo(before);

        JsonNode olga = service.admin("GET", "/v1/admin/audit?who=olga", null, READER).body().get("entries");
        assertThat(olga).extracting(e -> e.get("action").asText())
                .contains("pid.set", "lambda.set", "lambda0.set", "model.swap");
        assertThat(service.admin("GET", "/v1/admin/audit?limit=0", null, READER).body().get("field").asText())
                .isEqualTo("limit");
    }

    @Test
    void aJwtConfigurationThatWouldAcceptUnsignedOrForeignTokensIsRefusedAtStart() throws Exception {
        Path dir = Files.createTempDirectory("allot-bad-identities");
        Files.writeString(dir.resolve("empty.json"), "{\"keys\": []}");
        Files.writeString(dir.resolve("no-keys.json"), """
                { "jwt": { "jwks": "empty.json", "issuer": "https://idp.example", "audience": "allot" } }
                """);
        Files.writeString(dir.resolve("idp.pem"), pem("PUBLIC KEY", rsa().getPublic().getEncoded()));
        Files.writeString(dir.resolve("no-audience.json"), """
                { "jwt": { "publicKey": "idp.pem", "issuer": "https://idp.example" } }
                """);
        assertThatThrownBy(() -> Identities.load(signer, null, dir.resolve("no-keys.json")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("no usable key");
        assertThatThrownBy(() -> Identities.load(signer, null, dir.resolve("no-audience.json")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("issuer and audience");
    }
}
