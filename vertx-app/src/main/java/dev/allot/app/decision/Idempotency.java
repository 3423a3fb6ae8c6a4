package dev.allot.app.decision;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.allot.app.http.ApiException;
import dev.allot.engine.DecisionRequest;
import dev.allot.engine.Json;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a {@code requestId} is bound to: the response it got and a fingerprint of the request that got it. A retry
 * with the same request gets the same response; the same id with a different request is refused (409), so one
 * user's id reused by mistake, or on purpose, never returns another user's decision.
 */
final class Idempotency {

    /** Separates the fingerprint from the response in the stored value; a response is JSON and has no newline. */
    private static final char SEPARATOR = '\n';

    private Idempotency() {
    }

    /** A digest of every field of the request but its id (maps in key order, so field order does not matter). */
    static String fingerprint(DecisionRequest request) {
        Map<String, Object> canonical = new LinkedHashMap<>();
        canonical.put("city", request.city());
        canonical.put("userId", request.userId());
        canonical.put("segment", request.segment());
        canonical.put("features", new TreeMap<>(request.features()));
        canonical.put("attributes", new TreeMap<>(request.attributes()));
        canonical.put("campaigns", request.campaigns());
        canonical.put("timestamp", request.timestamp() == null ? null : request.timestamp().toString());
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(Json.MAPPER.writeValueAsString(canonical)
                    .getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 12);
        } catch (JsonProcessingException | NoSuchAlgorithmException e) {
            throw new IllegalStateException("cannot fingerprint a request", e);
        }
    }

    /** The value stored under the request id. */
    static String bind(String fingerprint, String response) {
        return fingerprint + SEPARATOR + response;
    }

    /**
     * The response stored for {@code fingerprint}'s request, or a 409 when the id was used for another request.
     * Values stored before fingerprints existed are bare responses and are returned as they are.
     */
    static String responseFor(String fingerprint, String stored) {
        int cut = stored.indexOf(SEPARATOR);
        if (cut < 0) {
            return stored;
        }
        if (!stored.regionMatches(0, fingerprint, 0, cut) || cut != fingerprint.length()) {
            throw new ApiException.Conflict("request_id_reused", "requestId",
                    "this requestId was already used for a different request; use a new id for a new request");
        }
        return stored.substring(cut + 1);
    }
}
