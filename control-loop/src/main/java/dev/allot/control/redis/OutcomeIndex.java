package dev.allot.control.redis;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
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
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private OutcomeIndex() {
    }

    /**
     * The fields as a JSON object, the text Jackson's generator writes for it (its escapes: the short ones for
     * {@code "}, {@code \\} and five controls, {@code \\u00XX} for the other controls; every other character as
     * it is). Written by hand: it runs for every decision on the Redis client's thread, where the generator and
     * its writer were a fifth of that thread's time (docs/benchmarks.md). {@code OutcomeIndexTest} holds it to
     * Jackson's output.
     */
    static String encode(Map<String, String> fields) {
        StringBuilder out = new StringBuilder(160);
        out.append('{');
        boolean first = true;
        for (Map.Entry<String, String> f : fields.entrySet()) {
            if (!first) {
                out.append(',');
            }
            first = false;
            string(out, f.getKey());
            out.append(':');
            string(out, f.getValue());
        }
        return out.append('}').toString();
    }

    private static void string(StringBuilder out, String s) {
        out.append('"');
        int len = s.length();
        int plain = 0;
        for (int i = 0; i < len; i++) {
            char ch = s.charAt(i);
            if (ch >= 0x20 && ch != '"' && ch != '\\') {
                continue;
            }
            out.append(s, plain, i).append('\\');
            switch (ch) {
                case '"' -> out.append('"');
                case '\\' -> out.append('\\');
                case '\b' -> out.append('b');
                case '\t' -> out.append('t');
                case '\f' -> out.append('f');
                case '\n' -> out.append('n');
                case '\r' -> out.append('r');
                default -> out.append("u00").append(HEX[ch >> 4]).append(HEX[ch & 0xF]);
            }
            plain = i + 1;
        }
        out.append(s, plain, len).append('"');
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
