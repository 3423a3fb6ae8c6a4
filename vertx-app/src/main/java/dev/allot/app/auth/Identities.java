package dev.allot.app.auth;

import com.fasterxml.jackson.databind.JsonNode;
import dev.allot.app.http.ApiException;
import dev.allot.engine.Json;
import dev.allot.engine.config.ConfigException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.User;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Turns an {@code Authorization} header into an {@link Identity}: static tokens from configuration (a mounted
 * secret), and JWTs from the company's identity provider verified with its public key or JWKS, scopes read from
 * a claim. {@code ALLOT_ADMIN_TOKEN} is one identity, "admin", holding every scope.
 *
 * <p>The identities file:
 * <pre>{@code
 * { "tokens": [ { "name": "alice", "sha256": "<hex of the token>", "scopes": ["rules:edit", "read"] } ],
 *   "jwt": { "publicKey": "idp.pem", "algorithm": "RS256", "issuer": "https://idp.example",
 *            "audience": "allot", "scopesClaim": "scope", "nameClaim": "sub" },
 *   "publicState": false }
 * }</pre>
 * Paths are relative to the file. A token may be given as {@code "token"} instead of its SHA-256.
 */
public final class Identities {

    private record StaticToken(String name, byte[] sha256, Set<Scope> scopes) {
    }

    private final List<StaticToken> tokens;
    private final JWTAuth jwt;
    private final String scopesClaim;
    private final String nameClaim;
    private final boolean publicState;

    private Identities(List<StaticToken> tokens, JWTAuth jwt, String scopesClaim, String nameClaim,
                       boolean publicState) {
        this.tokens = List.copyOf(tokens);
        this.jwt = jwt;
        this.scopesClaim = scopesClaim;
        this.nameClaim = nameClaim;
        this.publicState = publicState;
    }

    /**
     * @param adminToken  the all-scopes token, or null
     * @param file        the identities file, or null
     */
    public static Identities load(Vertx vertx, String adminToken, Path file) {
        List<StaticToken> tokens = new ArrayList<>();
        if (adminToken != null && !adminToken.isBlank()) {
            tokens.add(new StaticToken("admin", sha256(adminToken), EnumSet.allOf(Scope.class)));
        }
        if (file == null) {
            // With nobody configured there is nobody to hide the state from: it stays readable, as in the demo.
            return new Identities(tokens, null, null, null, tokens.isEmpty());
        }
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(file.toFile());
        } catch (IOException e) {
            throw new ConfigException("cannot read identities file " + file + ": " + e.getMessage(), e);
        }
        JsonNode list = root.path("tokens");
        for (int i = 0; i < list.size(); i++) {
            JsonNode t = list.get(i);
            String where = file + ": tokens[" + i + "]";
            String name = require(t, "name", where);
            byte[] hash;
            if (t.hasNonNull("sha256")) {
                try {
                    hash = HexFormat.of().parseHex(t.get("sha256").asText().toLowerCase(Locale.ROOT));
                } catch (IllegalArgumentException e) {
                    throw new ConfigException(where + ".sha256 must be 64 hex digits");
                }
                if (hash.length != 32) {
                    throw new ConfigException(where + ".sha256 must be 64 hex digits");
                }
            } else {
                hash = sha256(require(t, "token", where + " (or sha256)"));
            }
            tokens.add(new StaticToken(name, hash, scopes(t.path("scopes"), where + ".scopes")));
        }
        JWTAuth jwt = null;
        String scopesClaim = null;
        String nameClaim = null;
        JsonNode j = root.path("jwt");
        if (j.isObject()) {
            jwt = jwt(vertx, j, file);
            scopesClaim = j.path("scopesClaim").asText("scope");
            nameClaim = j.path("nameClaim").asText("sub");
        }
        return new Identities(tokens, jwt, scopesClaim, nameClaim, root.path("publicState").asBoolean(false));
    }

    private static JWTAuth jwt(Vertx vertx, JsonNode j, Path file) {
        Path base = file.toAbsolutePath().getParent();
        JWTAuthOptions options = new JWTAuthOptions();
        String algorithm = j.path("algorithm").asText("RS256");
        try {
            if (j.hasNonNull("publicKey")) {
                options.addPubSecKey(new PubSecKeyOptions().setAlgorithm(algorithm)
                        .setBuffer(Files.readString(base.resolve(j.get("publicKey").asText()))));
            } else if (j.hasNonNull("jwks")) {
                JsonObject jwks = new JsonObject(Files.readString(base.resolve(j.get("jwks").asText())));
                JsonArray keys = jwks.getJsonArray("keys", new JsonArray());
                keys.forEach(k -> options.addJwk((JsonObject) k));
            } else {
                throw new ConfigException(file + ": jwt needs publicKey (a PEM file) or jwks (a JWKS file)");
            }
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read the JWT key: " + e.getMessage(), e);
        }
        boolean noKey = (options.getPubSecKeys() == null || options.getPubSecKeys().isEmpty())
                && (options.getJwks() == null || options.getJwks().isEmpty());
        if (noKey) {
            // With no key, Vert.x verifies nothing and accepts unsigned tokens ("alg": "none").
            throw new ConfigException(file + ": jwt has no usable key: every token would be accepted unsigned");
        }
        if (!j.hasNonNull("issuer") || !j.hasNonNull("audience")) {
            // Without both, a token the same identity provider issued for another application would be accepted.
            throw new ConfigException(file + ": jwt needs issuer and audience");
        }
        JWTOptions verify = new JWTOptions();
        verify.setIssuer(j.get("issuer").asText());
        verify.addAudience(j.get("audience").asText());
        verify.setLeeway(j.path("leewaySeconds").asInt(30));
        options.setJWTOptions(verify);
        try {
            return JWTAuth.create(vertx, options);
        } catch (RuntimeException e) {
            throw new ConfigException(file + ": the JWT key is not usable: " + e.getMessage(), e);
        }
    }

    private static String require(JsonNode node, String field, String where) {
        if (!node.hasNonNull(field) || node.get(field).asText().isBlank()) {
            throw new ConfigException(where + "." + field + " is required");
        }
        return node.get(field).asText();
    }

    private static Set<Scope> scopes(JsonNode node, String where) {
        Set<Scope> scopes = EnumSet.noneOf(Scope.class);
        for (JsonNode s : node) {
            scopes.add(Scope.of(s.asText()).orElseThrow(() -> new ConfigException(where + ": unknown scope '"
                    + s.asText() + "' (scopes: rules:edit, rules:approve, ops, read)")));
        }
        return scopes;
    }

    static byte[] sha256(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether any identity is configured: without one the admin API is off. */
    public boolean configured() {
        return !tokens.isEmpty() || jwt != null;
    }

    /** Whether the city state may be read without a token. */
    public boolean publicState() {
        return publicState;
    }

    /** The caller of {@code authorization} (the header's value), or a 401. */
    public Future<Identity> authenticate(String authorization) {
        if (authorization == null || authorization.length() < 8
                || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return Future.failedFuture(new ApiException.Unauthorized(401,
                    "this call needs 'Authorization: Bearer <token>'"));
        }
        String token = authorization.substring(7).strip();
        byte[] presented = sha256(token);
        StaticToken found = null;
        for (StaticToken t : tokens) {
            // Every token compared in constant time, and all of them: the time says nothing about which matched.
            if (MessageDigest.isEqual(t.sha256(), presented)) {
                found = t;
            }
        }
        if (found != null) {
            return Future.succeededFuture(new Identity(found.name(), found.scopes()));
        }
        if (jwt != null && token.chars().filter(c -> c == '.').count() == 2) {
            return jwt.authenticate(new TokenCredentials(token)).map(this::fromJwt)
                    .recover(e -> Future.failedFuture(new ApiException.Unauthorized(401,
                            "the token is not valid: " + e.getMessage())));
        }
        return Future.failedFuture(new ApiException.Unauthorized(401, "unknown token"));
    }

    private Identity fromJwt(User user) {
        JsonObject claims = user.principal();
        // Vert.x moves exp, iat and nbf from the claims to the user's attributes.
        Object exp = claims.getValue("exp") != null ? claims.getValue("exp") : user.attributes().getValue("exp");
        if (!(exp instanceof Number)) {
            // Vert.x checks an expiry only when there is one: a token that never expires is not accepted.
            throw new IllegalArgumentException("the token has no expiry (exp)");
        }
        Set<Scope> scopes = EnumSet.noneOf(Scope.class);
        Object value = claims.getValue(scopesClaim);
        List<String> names = new ArrayList<>();
        if (value instanceof String s) {
            names.addAll(List.of(s.split("\\s+")));
        } else if (value instanceof JsonArray a) {
            a.forEach(v -> names.add(String.valueOf(v)));
        }
        names.forEach(n -> Scope.of(n).ifPresent(scopes::add));
        String name = claims.getString(nameClaim, "jwt-user");
        return new Identity(name, scopes);
    }
}
