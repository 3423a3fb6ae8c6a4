package dev.allot.control.journal;

import dev.allot.control.DecisionEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JournalTest {

    @TempDir
    Path dir;

    @Test
    void readsBackWhatItWroteFieldForField() throws IOException {
        Journal.Batch batch = batch("b1", 3);
        Journal.Outcome outcome = new Journal.Outcome("paris", "paris.d0", true, Double.NaN, 42L, false);
        try (Journal journal = Journal.open(Journal.Settings.defaults(dir))) {
            journal.append(List.of(batch, outcome));
        }
        try (Journal journal = Journal.open(Journal.Settings.defaults(dir))) {
            List<Journal.Stored> read = journal.read(journal.cursor(), 10);
            // A decision's own increments are not journaled: the batch carries their sum, which is what Redis gets.
            assertThat(read).extracting(Journal.Stored::entry).containsExactly(withoutOwnTotals(batch), outcome);
            assertThat(journal.unapplied()).isEqualTo(new Journal.Counts(3, 1));
        }
    }

    @Test
    void readsABatchJournaledBeforeDecisionsLostTheirOwnTotals() throws IOException {
        try (Journal journal = Journal.open(Journal.Settings.defaults(dir))) {
            journal.append(List.of(batch("placeholder", 1)));
        }
        // The layout of type 1, whose decisions carried city, day and totals, framed as the journal frames a record.
        Journal.Batch batch = batch("b-old", 2);
        var payload = new java.io.ByteArrayOutputStream();
        try (var out = new java.io.DataOutputStream(payload)) {
            out.writeByte(1);
            oldString(out, batch.id());
            oldString(out, batch.city());
            oldString(out, batch.day());
            oldDoubles(out, batch.totals());
            out.writeInt(batch.events().size());
            for (DecisionEvent e : batch.events()) {
                oldString(out, e.city());
                oldString(out, e.day());
                oldString(out, e.decisionId());
                oldString(out, e.userId());
                out.writeLong(e.timestampMillis());
                out.writeBoolean(e.couponGiven());
                oldStrings(out, e.streamFields());
                oldStrings(out, e.record());
                oldDoubles(out, e.totals());
            }
            oldStrings(out, batch.claims());
        }
        byte[] body = payload.toByteArray();
        var crc = new java.util.zip.CRC32C();
        crc.update(body);
        var framed = new java.io.ByteArrayOutputStream();
        try (var out = new java.io.DataOutputStream(framed)) {
            out.writeInt(0x414C4A31);
            out.writeInt(body.length);
            out.writeInt((int) crc.getValue());
            out.write(body);
        }
        Files.write(onlySegment(), framed.toByteArray());

        try (Journal journal = Journal.open(Journal.Settings.defaults(dir))) {
            assertThat(journal.read(journal.cursor(), 10)).extracting(Journal.Stored::entry).containsExactly(batch);
        }
    }

    private static void oldString(java.io.DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    private static void oldStrings(java.io.DataOutputStream out, Map<String, String> map) throws IOException {
        out.writeInt(map.size());
        for (var e : map.entrySet()) {
            oldString(out, e.getKey());
            oldString(out, e.getValue());
        }
    }

    private static void oldDoubles(java.io.DataOutputStream out, Map<String, Double> map) throws IOException {
        out.writeInt(map.size());
        for (var e : map.entrySet()) {
            oldString(out, e.getKey());
            out.writeDouble(e.getValue());
        }
    }

    private static Journal.Batch withoutOwnTotals(Journal.Batch b) {
        return new Journal.Batch(b.id(), b.city(), b.day(), b.totals(), b.events().stream()
                .map(e -> new DecisionEvent(e.city(), e.day(), e.decisionId(), e.userId(), e.timestampMillis(),
                        e.couponGiven(), e.streamFields(), e.record(), Map.of()))
                .toList(), b.claims());
    }

    @Test
    void cutsOffARecordTornByACrashAndAppendsAfterTheLastWholeOne() throws IOException {
        try (Journal journal = Journal.open(Journal.Settings.defaults(dir))) {
            journal.append(List.of(batch("b1", 2)));
            journal.append(List.of(batch("b2", 2)));
        }
        Path segment = onlySegment();
        long size = Files.size(segment);
        try (RandomAccessFile f = new RandomAccessFile(segment.toFile(), "rw")) {
            f.setLength(size - 7);
        }
        try (Journal journal = Journal.open(Journal.Settings.defaults(dir))) {
            assertThat(journal.read(journal.cursor(), 10)).extracting(s -> ((Journal.Batch) s.entry()).id())
                    .containsExactly("b1");
            journal.append(List.of(batch("b3", 1)));
            assertThat(journal.read(journal.cursor(), 10)).extracting(s -> ((Journal.Batch) s.entry()).id())
                    .containsExactly("b1", "b3");
            assertThat(journal.unapplied().decisions()).isEqualTo(3);
        }
    }

    @Test
    void skipsACorruptRecordAndCountsIt() throws IOException {
        Journal.Settings small = new Journal.Settings(dir, 1, 1L << 30, 1L << 30, true);
        try (Journal journal = Journal.open(small)) {
            // A segment of one byte's target holds one append each.
            journal.append(List.of(batch("b1", 1)));
            journal.append(List.of(batch("b2", 1)));
            journal.append(List.of(batch("b3", 1)));
        }
        List<Path> segments = segments();
        assertThat(segments).hasSize(3);
        try (RandomAccessFile f = new RandomAccessFile(segments.get(1).toFile(), "rw")) {
            f.seek(20);
            f.write(f.read() ^ 0xFF);
        }
        try (Journal journal = Journal.open(small)) {
            assertThat(journal.read(journal.cursor(), 10)).extracting(s -> ((Journal.Batch) s.entry()).id())
                    .containsExactly("b1", "b3");
            assertThat(journal.corruptRecords()).isEqualTo(1);
        }
    }

    @Test
    void refusesASecondProcessOnTheSameDirectory() throws IOException {
        try (Journal ignored = Journal.open(Journal.Settings.defaults(dir))) {
            // The lock is per process: a second channel of this JVM is refused the same way another process is.
            assertThatThrownBy(() -> Journal.open(Journal.Settings.defaults(dir)))
                    .isInstanceOf(IOException.class).hasMessageContaining("in use by another process")
                    .hasMessageContaining("--data-dir");
        }
    }

    @Test
    void keepsAppliedSegmentsUpToTheRetainedBytes() throws IOException {
        Journal.Settings settings = new Journal.Settings(dir, 1, 1L << 30, 2_500, true);
        try (Journal journal = Journal.open(settings)) {
            List<Journal.Position> ends = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                ends.addAll(journal.append(List.of(batch("b" + i, 1))));
            }
            long segmentSize = Files.size(segments().get(0));
            journal.commit(ends.get(5));
            journal.persistCursor();
            assertThat(journal.unappliedBytes()).isZero();
            long kept = segments().size();
            assertThat(kept).as("segments of %d bytes within 2,500 retained, plus the cursor's", segmentSize)
                    .isEqualTo(Math.min(6, 2_500 / segmentSize + 1));
            assertThat(journal.count(journal.start(), journal.cursor()).decisions()).isEqualTo(kept);
        }
    }

    @Test
    void reportsNoRoomPastTheUnappliedBound() throws IOException {
        Journal.Settings settings = new Journal.Settings(dir, 1 << 20, 1_000, 1L << 30, false);
        try (Journal journal = Journal.open(settings)) {
            while (journal.hasRoom()) {
                journal.append(List.of(batch("b", 1)));
            }
            assertThat(journal.unappliedBytes()).isGreaterThanOrEqualTo(1_000);
            journal.commit(journal.end());
            // Room is counted when the cursor is written (after each flush), not at each confirmation.
            journal.persistCursor();
            assertThat(journal.hasRoom()).isTrue();
        }
    }

    private Path onlySegment() throws IOException {
        List<Path> segments = segments();
        assertThat(segments).hasSize(1);
        return segments.get(0);
    }

    private List<Path> segments() throws IOException {
        try (var files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().startsWith("journal-")).sorted().toList();
        }
    }

    private static Journal.Batch batch(String id, int decisions) {
        List<DecisionEvent> events = new ArrayList<>();
        Map<String, Double> totals = new LinkedHashMap<>();
        for (int i = 0; i < decisions; i++) {
            Map<String, String> stream = new LinkedHashMap<>();
            stream.put("decisionId", "paris.d" + i);
            stream.put("note", "é – ünïcode");
            // ASCII, ASCII then not, empty: the journal writes ASCII without encoding and falls back for the rest.
            String user = switch (i % 3) {
                case 0 -> "u" + i;
                case 1 -> "user-" + i + "-ü中";
                default -> "";
            };
            events.add(new DecisionEvent("paris", "2026-11-25", "paris.d" + i, user, 1_000L + i, i % 2 == 0,
                    stream, Map.of("day", "2026-11-25", "coupon", "4.0"), Map.of("decisions", 1.0)));
            totals.merge("decisions", 1.0, Double::sum);
        }
        return new Journal.Batch(id, "paris", "2026-11-25", totals, events, Map.of("req-" + id, "{\"decisionId\":\"x\"}"));
    }
}
