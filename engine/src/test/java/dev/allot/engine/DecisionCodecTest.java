package dev.allot.engine;

import dev.allot.control.Utf8Fields;
import dev.allot.control.journal.Journal;
import dev.allot.rules.Reason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DecisionCodecTest {

    static DecisionRecord record(Integer level) {
        Map<String, Double> features = new LinkedHashMap<>();
        features.put("rides_30d", 12.0);
        features.put("avg_fare", 0.1 + 0.2);
        Map<String, Object> attributes = new LinkedHashMap<>();
        attributes.put("fraud_risk", false);
        attributes.put("tier", "gold, \"vip\"");
        attributes.put("score", 0.75);
        attributes.put("visits", 3L);
        Levels levels = new Levels(new double[]{0, 2, 4}, new double[]{18, 16, 14},
                new double[]{0.1, 0.09, 0.3}, new double[]{0.095, 0.095, 0.3}, new double[]{1.71, 1.52, 4.2},
                new double[]{-0.3, -0.1, 0.15}, new boolean[]{true, false, true});
        return new DecisionRecord(DecisionCodec.FORMAT, "city-a.0000-1", "req-7", "city-a", "2026-11-25",
                1_795_000_000_123L, Instant.parse("2026-11-25T08:00:00.5Z"), "u,1\n", "high_frequency", features,
                attributes, List.of("spring-promo", "a,b"), new DecisionContext(2, true, 1_000, 250.5, 80.25), levels,
                "exploration", 0.5, 0.8123456789012345, level, level == null ? 0 : 4, level == null ? 18 : 14,
                List.of(new Reason("cap", "maxLevel=2"), new Reason("ceiling", "forbidden=1")), "m-1", "rules-2");
    }

    @Test
    void aRecordSurvivesTheStreamFieldExactly() {
        for (Integer level : new Integer[]{2, null}) {
            DecisionRecord original = record(level);
            DecisionRecord read = DecisionCodec.fromStream(DecisionCodec.toStream(original));
            assertThat(read).usingRecursiveComparison().isEqualTo(original);
            assertThat(DecisionCodec.toJson(read)).isEqualTo(DecisionCodec.toJson(original));
        }
    }

    @Test
    void theStreamEntryIsTheRecordsJsonAsUtf8AndThroughTheJournalReadsBackTheSame(@TempDir Path dir)
            throws IOException {
        DecisionRecord original = record(2);
        Map<String, String> entry = DecisionCodec.toStream(original);
        assertThat(entry).isInstanceOf(Utf8Fields.class);
        byte[] utf8 = ((Utf8Fields) entry).utf8().get(DecisionCodec.FIELD);
        assertThat(new String(utf8, StandardCharsets.UTF_8)).isEqualTo(DecisionCodec.toJson(original));
        assertThat(entry).containsExactly(Map.entry(DecisionCodec.FIELD, DecisionCodec.toJson(original)));

        // The journal writes the bytes as they are; what it reads back is the same text.
        try (Journal journal = Journal.open(Journal.Settings.defaults(dir))) {
            journal.append(List.of(new Journal.Batch("b-1", original.city(), original.day(), Map.of(),
                    List.of(original.event(DecisionCodec.toStream(original))), new LinkedHashMap<>())));
            Journal.Batch read = (Journal.Batch) journal.read(journal.cursor(), 10).get(0).entry();
            Map<String, String> stream = read.events().get(0).streamFields();
            assertThat(DecisionCodec.fromStream(stream)).usingRecursiveComparison().isEqualTo(original);
            assertThat(stream.get(DecisionCodec.FIELD)).isEqualTo(DecisionCodec.toJson(original));
        }
    }

    @Test
    void aRecordFromANewerReleaseIsRefusedNotHalfRead() {
        String newer = DecisionCodec.toJson(record(2)).replace("\"v\":1", "\"v\":2");
        assertThatThrownBy(() -> DecisionCodec.fromJson(newer))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("format 2 is newer");
    }

    @Test
    void aRecordMissingItsContextNamesTheField() {
        String broken = DecisionCodec.toJson(record(2)).replaceFirst("\"context\":\\{[^}]*},", "");
        assertThatThrownBy(() -> DecisionCodec.fromJson(broken)).hasMessageContaining("'context'");
    }

    @Test
    void anUnversionedStreamEntryStillReads() {
        Map<String, String> old = new LinkedHashMap<>();
        old.put("decisionId", "demo.1234");
        old.put("requestId", "");
        old.put("ts", "1795000000000");
        old.put("clientTs", "");
        old.put("userId", "u-1");
        old.put("segment", "new");
        old.put("group", "optimized");
        old.put("propensity", "1.0");
        old.put("level", "1");
        old.put("coupon", "2.0");
        old.put("price", "16.0");
        old.put("lambda", "0.5");
        old.put("raw", "[0.2,0.1,0.4]");
        old.put("calibrated", "[0.15,0.15,0.4]");
        old.put("allowed", "110");
        old.put("features", "{\"rides_30d\":3.0}");
        old.put("campaigns", "spring-promo,vip-exclusive");
        old.put("modelVersion", "demo-7");
        old.put("rulesVersion", "rules-1");
        old.put("reasons", "[{\"rule\":\"cap\",\"effect\":\"maxLevel=1\"}]");

        DecisionRecord r = DecisionCodec.fromStream(old);

        assertThat(r.format()).isZero();
        assertThat(r.city()).isEqualTo("demo");
        assertThat(r.requestId()).isNull();
        assertThat(r.level()).isEqualTo(1);
        assertThat(r.expectedConversion()).isEqualTo(0.15);
        assertThat(r.levels().allowed()).containsExactly(true, true, false);
        assertThat(r.levels().values()).containsOnly(Double.NaN);
        assertThat(r.campaigns()).containsExactly("spring-promo", "vip-exclusive");
        assertThat(r.features()).containsEntry("rides_30d", 3.0);
        assertThat(r.context().historyKnown()).isFalse();
        assertThat(r.reasons()).containsExactly(new Reason("cap", "maxLevel=1"));
        // Re-written, it stays a format-0 record, NaN travelling as null.
        assertThat(DecisionCodec.fromJson(DecisionCodec.toJson(r))).usingRecursiveComparison()
                .withComparatorForType(Double::compare, Double.class).isEqualTo(r);
    }
}
