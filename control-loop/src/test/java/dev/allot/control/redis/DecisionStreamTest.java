package dev.allot.control.redis;

import dev.allot.control.CityTotals;
import dev.allot.control.DecisionEvent;
import dev.allot.control.DecisionIds;
import dev.allot.control.Utf8Fields;
import io.lettuce.core.Range;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class DecisionStreamTest {

    @RegisterExtension
    static final EmbeddedRedisExtension REDIS = new EmbeddedRedisExtension();

    private static final WriteBehindLog.Settings SETTINGS = new WriteBehindLog.Settings(3600, 3600, 3600, 3600, 1000, 7,
            100_000);

    private StatefulRedisConnection<String, String> connection;
    private WriteBehindLog log;
    private CityStore store;

    @BeforeEach
    void setUp() {
        REDIS.flushAll();
        connection = REDIS.connect();
        log = new WriteBehindLog(RedisLink.of(connection), SETTINGS);
        store = new CityStore(connection);
    }

    @AfterEach
    void tearDown() {
        connection.close();
    }

    @Test
    void writesOneEntryPerBatchAndReadsBackEveryDecisionInOrder() throws Exception {
        List<String> written = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            written.add(append(i, "{\"n\":" + i + ",\"note\":\"line\\nbreak, é, \\u2028\"}"));
        }
        log.flush().toCompletableFuture().get(5, TimeUnit.SECONDS);

        assertThat(connection.sync().xlen(RedisKeys.decisions("c"))).as("batches of at most 7").isEqualTo(5);
        var entries = connection.sync().xrange(RedisKeys.decisions("c"), Range.create("-", "+"));
        assertThat(entries).allSatisfy(e -> assertThat(e.getBody()).containsOnlyKeys(DecisionStream.RECORDS));
        List<String> read = new ArrayList<>();
        entries.forEach(e -> DecisionStream.decisions(e.getBody()).forEach(d -> read.add(d.get(DecisionStream.RECORD))));
        assertThat(read).isEqualTo(written);

        CityStore.StreamSlice all = store.decisionsBackward("c", 1_000, d -> false).toCompletableFuture().get();
        assertThat(records(all.entries())).isEqualTo(written);
        assertThat(all.truncated()).isFalse();
        assertThat(all.newestId()).isEqualTo(entries.get(entries.size() - 1).getId());
        assertThat(records(store.recentDecisions("c", 10).toCompletableFuture().get()))
                .isEqualTo(written.subList(20, 30));
    }

    @Test
    void readsStopAtTheirBoundInsideAnEntry() throws Exception {
        List<String> written = new ArrayList<>();
        for (int i = 0; i < 14; i++) {
            written.add(append(i, "{\"n\":" + i + "}"));
        }
        log.flush().toCompletableFuture().get(5, TimeUnit.SECONDS);

        CityStore.StreamSlice newest = store.decisionsBackward("c", 3, d -> false).toCompletableFuture().get();
        assertThat(records(newest.entries())).isEqualTo(written.subList(11, 14));
        assertThat(newest.truncated()).isTrue();
        CityStore.StreamSlice untilFive = store.decisionsBackward("c", 100,
                d -> d.get(DecisionStream.RECORD).equals("{\"n\":5}")).toCompletableFuture().get();
        assertThat(records(untilFive.entries())).as("after the stopping decision, within the first entry")
                .isEqualTo(written.subList(6, 14));

        String firstEntry = connection.sync().xrange(RedisKeys.decisions("c"), Range.create("-", "+")).get(0).getId();
        CityStore.StreamSlice after = store.decisionsAfter("c", firstEntry, 100).toCompletableFuture().get();
        assertThat(records(after.entries())).as("the entries after the first, whole").isEqualTo(written.subList(7, 14));
        assertThat(after.truncated()).isFalse();
        CityStore.StreamSlice one = store.decisionsAfter("c", "0", 1).toCompletableFuture().get();
        assertThat(records(one.entries())).as("a whole entry, though one was asked").isEqualTo(written.subList(0, 7));
        assertThat(one.truncated()).isTrue();
        assertThat(one.newestId()).isEqualTo(firstEntry);
    }

    @Test
    void readsEntriesOfOneDecisionWrittenBeforeBatchesBesideBatches() throws Exception {
        connection.sync().xadd(RedisKeys.decisions("c"), Map.of(DecisionStream.RECORD, "{\"old\":1}"));
        String batched = append(0, "{\"n\":0}");
        log.flush().toCompletableFuture().get(5, TimeUnit.SECONDS);

        assertThat(records(store.recentDecisions("c", 5).toCompletableFuture().get()))
                .containsExactly("{\"old\":1}", batched);
    }

    private String append(int i, String json) {
        long now = System.currentTimeMillis();
        String id = DecisionIds.next("c", now);
        log.append(new DecisionEvent("c", "2026-11-23", id, "u" + i, now, i % 2 == 0, new Record(json),
                Map.of("day", "2026-11-23"), Map.of(CityTotals.DECISIONS, 1.0)));
        return json;
    }

    private static List<String> records(List<Map<String, String>> decisions) {
        return decisions.stream().map(d -> d.get(DecisionStream.RECORD)).toList();
    }

    /** A record's stream fields as the engine gives them: one field, its value already UTF-8. */
    private static final class Record extends AbstractMap<String, String> implements Utf8Fields {
        private final String json;

        Record(String json) {
            this.json = json;
        }

        @Override
        public Map<String, byte[]> utf8() {
            return Map.of(DecisionStream.RECORD, json.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public Set<Entry<String, String>> entrySet() {
            return Map.of(DecisionStream.RECORD, json).entrySet();
        }
    }
}
