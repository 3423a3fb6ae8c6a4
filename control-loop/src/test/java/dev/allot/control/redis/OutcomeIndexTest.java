package dev.allot.control.redis;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.StringWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class OutcomeIndexTest {

    private static final JsonFactory JSON = new JsonFactory();

    @Test
    void writesWhatJacksonWritesForEveryKindOfCharacter() throws IOException {
        Random random = new Random(11);
        // Controls, the two characters JSON escapes, ASCII, Latin-1, CJK, both halves of surrogate pairs (alone too).
        char[] alphabet = ("\u0000\u0001\b\t\n\u000b\f\r\u001f\u007f\"\\/ aZ09-_.:" + "é\u00ff中\u2028\ud83d\ude00\udc00")
                .toCharArray();
        for (int n = 0; n < 2_000; n++) {
            Map<String, String> fields = new LinkedHashMap<>();
            int count = random.nextInt(8);
            for (int f = 0; f < count; f++) {
                fields.put("k" + f + text(random, alphabet), text(random, alphabet));
            }
            assertThat(OutcomeIndex.encode(fields)).isEqualTo(jackson(fields));
            assertThat(OutcomeIndex.decode(OutcomeIndex.encode(fields))).containsExactlyEntriesOf(fields);
        }
    }

    @Test
    void writesTheUsualIndexAsPlainJson() {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("day", "2026-11-26");
        fields.put("level", "3");
        fields.put("coupon", "6.0");
        fields.put("segment", "high_frequency");
        assertThat(OutcomeIndex.encode(fields))
                .isEqualTo("{\"day\":\"2026-11-26\",\"level\":\"3\",\"coupon\":\"6.0\",\"segment\":\"high_frequency\"}");
        assertThat(OutcomeIndex.encode(Map.of())).isEqualTo("{}");
    }

    private static String text(Random random, char[] alphabet) {
        StringBuilder s = new StringBuilder();
        int len = random.nextInt(12);
        for (int i = 0; i < len; i++) {
            s.append(alphabet[random.nextInt(alphabet.length)]);
        }
        return s.toString();
    }

    private static String jackson(Map<String, String> fields) throws IOException {
        StringWriter out = new StringWriter();
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            for (Map.Entry<String, String> f : fields.entrySet()) {
                g.writeStringField(f.getKey(), f.getValue());
            }
            g.writeEndObject();
        }
        return out.toString();
    }
}
