package dev.allot.control.redis;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The value of {@code allot:{city}:decision:<id>}, what an outcome is matched to: its fields (day, level, coupon,
 * price, segment, group, and {@code outcome} once one is counted) as one JSON object of strings, set with its
 * expiry in one command. It was a hash, which took an {@code HSET} and an {@code EXPIRE} per decision; a hash
 * written before still reads ({@link CityStore#decisionRecord}) and still takes its outcome once (the
 * {@code OUTCOME} script) until it expires.
 */
final class OutcomeIndex {

    private static final JsonFactory JSON = new JsonFactory();

    private OutcomeIndex() {
    }

    static String encode(Map<String, String> fields) {
        StringWriter out = new StringWriter(128);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            for (Map.Entry<String, String> f : fields.entrySet()) {
                g.writeStringField(f.getKey(), f.getValue());
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("a string writer does not fail", e);
        }
        return out.toString();
    }

    static Map<String, String> decode(String value) {
        Map<String, String> fields = new LinkedHashMap<>();
        try (JsonParser p = JSON.createParser(value)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IllegalArgumentException("outcome index is not a JSON object: " + value);
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                p.nextToken();
                fields.put(name, p.getValueAsString());
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("outcome index is not JSON: " + value, e);
        }
        return fields;
    }
}
