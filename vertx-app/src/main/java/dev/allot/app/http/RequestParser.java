package dev.allot.app.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.allot.app.decision.OutcomeRequest;
import dev.allot.engine.DecisionRequest;
import dev.allot.engine.Json;
import dev.allot.engine.config.ConfigLoader;
import io.vertx.core.buffer.Buffer;

import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns request bodies into validated values, or an {@link ApiException.BadRequest} that names the field at
 * fault ({@code features.rides_30d}, {@code campaigns[2]}) and says what was expected.
 */
public final class RequestParser {

    private static final Set<String> DECISION_FIELDS = Set.of("requestId", "city", "userId", "segment", "features",
            "attributes", "campaigns", "timestamp");
    private static final Set<String> OUTCOME_FIELDS = Set.of("decisionId", "converted", "revenue");
    private static final int MAX_FEATURES = 512;

    private RequestParser() {
    }

    /** A body that may be left out: no body is an empty object. */
    public static JsonNode parseOptional(Buffer body) {
        return body == null || body.length() == 0 ? Json.MAPPER.createObjectNode() : parse(body);
    }

    public static JsonNode parse(Buffer body) {
        if (body == null || body.length() == 0) {
            throw invalidJson("request body is empty; expected a JSON object");
        }
        try {
            JsonNode node = Json.MAPPER.readTree(body.getBytes());
            if (node == null || !node.isObject()) {
                throw invalidJson("request body must be a JSON object");
            }
            return node;
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? ""
                    : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
            // Jackson appends source references that mean nothing to a client.
            String reason = e.getOriginalMessage().replaceAll("\\s*\\(start marker at \\[Source.*$", "")
                    .replaceAll("\\s*at \\[Source.*$", "");
            throw invalidJson("request body is not valid JSON" + where + ": " + reason);
        } catch (IOException e) {
            throw invalidJson("request body cannot be read: " + e.getMessage());
        }
    }

    public static DecisionRequest decision(JsonNode body) {
        rejectUnknown(body, DECISION_FIELDS);
        String city = requiredString(body, "city", 64);
        if (!ConfigLoader.CITY_NAME.matcher(city).matches()) {
            throw invalid("city", "city must match " + ConfigLoader.CITY_NAME.pattern());
        }
        String userId = requiredString(body, "userId", 256);
        String requestId = optionalString(body, "requestId", 128);
        String segment = optionalString(body, "segment", 64);
        Map<String, Double> features = features(body.get("features"));
        Map<String, Object> attributes = attributes(body.get("attributes"));
        List<String> campaigns = campaigns(body.get("campaigns"));
        Instant timestamp = null;
        String ts = optionalString(body, "timestamp", 64);
        if (ts != null) {
            try {
                timestamp = Instant.parse(ts);
            } catch (DateTimeParseException e) {
                throw invalid("timestamp", "timestamp must be an ISO-8601 instant such as 2026-11-23T10:15:00Z");
            }
        }
        return new DecisionRequest(requestId, city, userId, segment, features, attributes, campaigns, timestamp);
    }

    public static OutcomeRequest outcome(JsonNode body) {
        rejectUnknown(body, OUTCOME_FIELDS);
        String decisionId = requiredString(body, "decisionId", 256);
        JsonNode converted = body.get("converted");
        if (converted == null || converted.isNull()) {
            throw invalid("converted", "converted is required (true or false)");
        }
        if (!converted.isBoolean()) {
            throw invalid("converted", "converted must be true or false");
        }
        Double revenue = null;
        JsonNode r = body.get("revenue");
        if (r != null && !r.isNull()) {
            revenue = finite(r, "revenue");
            if (revenue < 0) {
                throw invalid("revenue", "revenue must be >= 0");
            }
        }
        return new OutcomeRequest(decisionId, converted.booleanValue(), revenue);
    }

    /** A finite number field of an admin body; {@code fallback} when absent. */
    public static double number(JsonNode body, String field, Double fallback) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            if (fallback == null) {
                throw invalid(field, field + " is required");
            }
            return fallback;
        }
        return finite(n, field);
    }

    public static boolean bool(JsonNode body, String field, boolean fallback) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            return fallback;
        }
        if (!n.isBoolean()) {
            throw invalid(field, field + " must be true or false");
        }
        return n.booleanValue();
    }

    /**
     * {@code {"files": {"name.drl": "rule text", ...}}}: the format is the file's extension (.drl, .json, .csv,
     * or .xlsx sent base64-encoded).
     */
    public static Map<String, String> ruleFiles(JsonNode body) {
        return ruleFiles(body, Set.of("files"));
    }

    /** As {@link #ruleFiles(JsonNode)}, in a body that may also hold {@code allowedKeys}. */
    public static Map<String, String> ruleFiles(JsonNode body, Set<String> allowedKeys) {
        rejectUnknown(body, allowedKeys);
        JsonNode files = body.get("files");
        if (files == null || !files.isObject() || files.isEmpty()) {
            throw invalid("files", "files must be an object of rule file names to their text");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = files.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getKey().matches("[A-Za-z0-9_.-]{1,100}\\.(drl|json|csv|xlsx)")) {
                throw invalid("files." + e.getKey(), "rule file names must match [A-Za-z0-9_.-]+ and end in .drl,"
                        + " .json, .csv or .xlsx");
            }
            if (!e.getValue().isTextual()) {
                throw invalid("files." + e.getKey(), "files." + e.getKey() + " must be the file's text (an .xlsx"
                        + " file base64-encoded)");
            }
            out.put(e.getKey(), e.getValue().textValue());
        }
        return out;
    }

    private static Map<String, Double> features(JsonNode node) {
        Map<String, Double> features = new LinkedHashMap<>();
        if (node == null || node.isNull()) {
            return features;
        }
        if (!node.isObject()) {
            throw invalid("features", "features must be an object of feature names to numbers");
        }
        if (node.size() > MAX_FEATURES) {
            throw invalid("features", "features has " + node.size() + " entries; at most " + MAX_FEATURES);
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isNull()) {
                features.put(e.getKey(), finite(e.getValue(), "features." + e.getKey()));
            }
        }
        return features;
    }

    private static Map<String, Object> attributes(JsonNode node) {
        Map<String, Object> attributes = new LinkedHashMap<>();
        if (node == null || node.isNull()) {
            return attributes;
        }
        if (!node.isObject()) {
            throw invalid("attributes", "attributes must be an object");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode v = e.getValue();
            String field = "attributes." + e.getKey();
            if (v.isBoolean()) {
                attributes.put(e.getKey(), v.booleanValue());
            } else if (v.isTextual()) {
                attributes.put(e.getKey(), v.textValue());
            } else if (v.isNumber()) {
                attributes.put(e.getKey(), finite(v, field));
            } else if (!v.isNull()) {
                throw invalid(field, field + " must be a boolean, string or number");
            }
        }
        return attributes;
    }

    private static List<String> campaigns(JsonNode node) {
        List<String> campaigns = new ArrayList<>();
        if (node == null || node.isNull()) {
            return campaigns;
        }
        if (!node.isArray()) {
            throw invalid("campaigns", "campaigns must be an array of campaign names");
        }
        for (int i = 0; i < node.size(); i++) {
            JsonNode c = node.get(i);
            if (!c.isTextual() || c.textValue().isEmpty() || c.textValue().length() > 128) {
                throw invalid("campaigns[" + i + "]", "campaigns[" + i + "] must be a non-empty string");
            }
            campaigns.add(c.textValue());
        }
        return campaigns;
    }

    private static double finite(JsonNode v, String field) {
        if (!v.isNumber()) {
            throw invalid(field, field + " must be a number");
        }
        double d = v.doubleValue();
        if (!Double.isFinite(d)) {
            throw invalid(field, field + " must be a finite number");
        }
        return d;
    }

    private static String requiredString(JsonNode body, String field, int maxLength) {
        String s = optionalString(body, field, maxLength);
        if (s == null) {
            throw invalid(field, field + " is required");
        }
        return s;
    }

    private static String optionalString(JsonNode body, String field, int maxLength) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isTextual()) {
            throw invalid(field, field + " must be a string");
        }
        String s = n.textValue();
        if (s.isEmpty()) {
            throw invalid(field, field + " must not be empty");
        }
        if (s.length() > maxLength) {
            throw invalid(field, field + " must be at most " + maxLength + " characters");
        }
        return s;
    }

    private static void rejectUnknown(JsonNode body, Set<String> known) {
        for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!known.contains(name)) {
                throw invalid(name, "unknown field '" + name + "'; expected one of " + new java.util.TreeSet<>(known));
            }
        }
    }

    private static ApiException.BadRequest invalid(String field, String message) {
        return new ApiException.BadRequest("invalid_request", field, message);
    }

    private static ApiException.BadRequest invalidJson(String message) {
        return new ApiException.BadRequest("invalid_json", null, message);
    }
}
