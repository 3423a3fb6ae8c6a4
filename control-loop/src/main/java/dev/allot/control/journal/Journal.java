package dev.allot.control.journal;

import dev.allot.control.DecisionEvent;
import dev.allot.control.Utf8Fields;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.CRC32C;

/**
 * The replica's write-ahead journal of what it owes Redis: every sealed batch of decisions and every outcome is
 * appended here (and forced to disk) before it is sent, and a cursor records how far Redis has confirmed. What
 * lies past the cursor when the process stops (Redis unreachable, SIGTERM, kill -9, OutOfMemoryError) is sent
 * when this directory is opened again, by the same replica or its replacement; the batch ids make a repeat a
 * no-op in Redis, so a stale cursor costs a few repeated sends, never a double count.
 *
 * <p>Files: {@code journal-<seq>.log} segments of records framed as magic, length, CRC32C, payload; a
 * {@code cursor} file written by atomic rename; a {@code lock} held while open, so two processes never share a
 * directory. A torn record at the end of the last segment (a crash mid-write) is cut off on open; a corrupt
 * record elsewhere ends its segment's reading and is counted in {@link #corruptRecords()}.
 *
 * <p>Applied segments are kept up to {@link Settings#retainBytes()}: when Redis comes back empty, they are sent
 * again from {@link #start()}, which restores this replica's contributions to the day's totals, stream and
 * histories.
 *
 * <p>Not thread-safe for concurrent writers by design: one owner (the write-behind log's journal thread) calls
 * it; the public methods are synchronized so gauges may read counts from other threads.
 */
public final class Journal implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Journal.class);
    private static final int MAGIC = 0x414C4A31; // "ALJ1"
    private static final int HEADER = 12;
    private static final int MAX_RECORD = 64 * 1024 * 1024;
    /** A batch whose decisions each carry their city, day and totals (written before {@link #BATCH_OF_DAY}). */
    private static final byte BATCH = 1;
    private static final byte OUTCOME = 2;
    /**
     * A batch whose decisions carry neither city nor day (the batch's: a batch is one city-day) nor increments to
     * the totals (the batch's sum is what Redis is sent): a fifth fewer bytes and less encoding a decision.
     */
    private static final byte BATCH_OF_DAY = 3;

    /** Something owed to Redis. */
    public sealed interface Entry permits Batch, Outcome {
        /** Decisions it carries (0 for an outcome). */
        int decisions();
    }

    /**
     * Decisions of one city-day, applied to Redis at once and exactly once thanks to {@code id}; {@code totals} the
     * sum of their increments (read back from the journal, the decisions carry no increments of their own);
     * {@code claims} are request ids (to their responses) that could not be claimed when the decisions were
     * answered.
     */
    public record Batch(String id, String city, String day, Map<String, Double> totals, List<DecisionEvent> events,
                        Map<String, String> claims) implements Entry {
        @Override
        public int decisions() {
            return events.size();
        }
    }

    /**
     * An outcome to count against its decision. A NaN revenue means the decision's offered price. {@code counted}:
     * Redis counted it when it was reported; it is journaled only so that a Redis that loses it gets it back.
     */
    public record Outcome(String city, String decisionId, boolean converted, double revenue, long timestampMillis,
                          boolean counted) implements Entry {
        @Override
        public int decisions() {
            return 0;
        }
    }

    /** A place in the journal: a segment and a byte offset in it. */
    public record Position(long segment, long offset) implements Comparable<Position> {
        @Override
        public int compareTo(Position o) {
            int c = Long.compare(segment, o.segment);
            return c != 0 ? c : Long.compare(offset, o.offset);
        }

        /** Fixed-width text that sorts as positions do (what Redis compares). */
        public String text() {
            return String.format("%020d:%020d", segment, offset);
        }

        public static Position parse(String text) {
            int colon = text.indexOf(':');
            return new Position(Long.parseLong(text.substring(0, colon)), Long.parseLong(text.substring(colon + 1)));
        }
    }

    /** An entry read back, with the position just after it (what to commit once it is applied). */
    public record Stored(Entry entry, Position end) {
    }

    /** Counts of decisions and outcomes in a stretch of the journal. */
    public record Counts(long decisions, long outcomes) {
        public static final Counts ZERO = new Counts(0, 0);

        Counts plus(Entry e) {
            return e instanceof Outcome ? new Counts(decisions, outcomes + 1) : new Counts(decisions + e.decisions(), outcomes);
        }
    }

    /**
     * @param segmentBytes      a segment is closed and a new one started past this size
     * @param maxUnappliedBytes what may wait for Redis on disk; past it, new decisions are refused (503)
     * @param retainBytes       applied segments kept to restore a Redis that comes back empty
     * @param sync              force each append to the device (off only in benchmarks of the rest)
     */
    public record Settings(Path dir, long segmentBytes, long maxUnappliedBytes, long retainBytes, boolean sync) {
        public static Settings defaults(Path dir) {
            return new Settings(dir, 16L << 20, 2L << 30, 1L << 30, true);
        }

        public Settings withMaxUnappliedBytes(long bytes) {
            return new Settings(dir, segmentBytes, bytes, retainBytes, sync);
        }

        public Settings withRetainBytes(long bytes) {
            return new Settings(dir, segmentBytes, maxUnappliedBytes, bytes, sync);
        }
    }

    private final Settings settings;
    private final FileChannel lockChannel;
    private final FileLock lock;
    /** Segment sequence to its size in bytes (valid records only). */
    private final TreeMap<Long, Long> segments = new TreeMap<>();
    /**
     * A growable byte array, written big-endian as {@link java.io.DataOutputStream} writes, and read in place: an
     * append copies each payload once, to disk. Not a {@code DataOutputStream} over a
     * {@code ByteArrayOutputStream}: that writes an int as four synchronized one-byte writes, each checking the
     * capacity, which was a seventh of the journal thread's time under load (docs/benchmarks.md).
     */
    private static final class Bytes {
        private byte[] buf;
        private int size;

        Bytes(int capacity) {
            buf = new byte[capacity];
        }

        byte[] array() {
            return buf;
        }

        int size() {
            return size;
        }

        void reset() {
            size = 0;
        }

        private void room(int more) {
            if (size + more > buf.length) {
                buf = java.util.Arrays.copyOf(buf, Math.max(buf.length * 2, size + more));
            }
        }

        void writeByte(int v) {
            room(1);
            buf[size++] = (byte) v;
        }

        void writeBoolean(boolean v) {
            writeByte(v ? 1 : 0);
        }

        void writeInt(int v) {
            room(4);
            buf[size++] = (byte) (v >>> 24);
            buf[size++] = (byte) (v >>> 16);
            buf[size++] = (byte) (v >>> 8);
            buf[size++] = (byte) v;
        }

        void writeLong(long v) {
            writeInt((int) (v >>> 32));
            writeInt((int) v);
        }

        void writeDouble(double v) {
            writeLong(Double.doubleToLongBits(v));
        }

        void write(byte[] b, int offset, int length) {
            room(length);
            System.arraycopy(b, offset, buf, size, length);
            size += length;
        }

        void write(byte[] b) {
            write(b, 0, b.length);
        }

        /**
         * A string of ASCII characters as its length and bytes (its UTF-8), straight from its characters: every
         * key and id of every decision goes through here. False, with nothing written, for any other string.
         */
        boolean writeAscii(String s) {
            int len = s.length();
            room(4 + len);
            int at = size + 4;
            for (int i = 0; i < len; i++) {
                char c = s.charAt(i);
                if (c >= 0x80) {
                    return false;
                }
                buf[at + i] = (byte) c;
            }
            writeInt(len);
            size += len;
            return true;
        }
    }

    private final Bytes buffer = new Bytes(64 * 1024);
    /** One entry's encoding, before its frame (length and checksum) is written; reused across entries. */
    private final Bytes payload = new Bytes(64 * 1024);
    private FileChannel current;
    /**
     * How far Redis has confirmed. Moved by {@link #commit} from Redis client threads without the monitor, which
     * the journal thread holds while it writes and forces: confirming an entry never waits for a disk.
     */
    private final AtomicReference<Position> cursor = new AtomicReference<>();
    /** Bytes between the cursor and the end, as of the last append or cursor write: read by request threads. */
    private volatile long unappliedBytes;
    private long corruptRecords;
    private volatile boolean cursorDirty;
    /** Nothing before it is sent again (see {@link #forgetApplied}); null: all kept segments count. */
    private Position floor;

    /** This journal's name, kept in its directory: the replica's identity across restarts on the same volume. */
    private String id;

    private Journal(Settings settings, FileChannel lockChannel, FileLock lock) {
        this.settings = settings;
        this.lockChannel = lockChannel;
        this.lock = lock;
    }

    /** Opens (creating if needed) the journal in {@code settings.dir()}; fails if another process holds it. */
    public static Journal open(Settings settings) throws IOException {
        Files.createDirectories(settings.dir());
        FileChannel lockChannel = FileChannel.open(settings.dir().resolve("lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = lockChannel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null; // held by this very process, through another channel
        } catch (IOException e) {
            lockChannel.close();
            throw e;
        }
        if (lock == null) {
            lockChannel.close();
            throw new IOException("journal directory " + settings.dir().toAbsolutePath()
                    + " is in use by another process; give each replica its own --data-dir");
        }
        Journal journal = new Journal(settings, lockChannel, lock);
        try {
            journal.load();
        } catch (IOException | RuntimeException e) {
            journal.close();
            throw e;
        }
        return journal;
    }

    private void load() throws IOException {
        Path idFile = settings.dir().resolve("id");
        if (Files.exists(idFile)) {
            id = Files.readString(idFile, StandardCharsets.US_ASCII).strip();
        } else {
            id = java.util.UUID.randomUUID().toString();
            Files.writeString(idFile, id + "\n", StandardCharsets.US_ASCII);
        }
        try (var files = Files.list(settings.dir())) {
            for (Path p : (Iterable<Path>) files::iterator) {
                String name = p.getFileName().toString();
                if (name.startsWith("journal-") && name.endsWith(".log")) {
                    segments.put(Long.parseLong(name.substring(8, name.length() - 4)), Files.size(p));
                }
            }
        }
        // Cut a torn tail off the newest segment, so appends continue after the last whole record.
        if (!segments.isEmpty()) {
            long last = segments.lastKey();
            long valid = scan(last, 0, Long.MAX_VALUE, null);
            long size = segments.get(last);
            if (valid < size) {
                LOG.warn("Journal segment {} ends with {} bytes of a record cut short (a crash while writing):"
                        + " removed", segmentPath(last), size - valid);
                try (FileChannel ch = FileChannel.open(segmentPath(last), StandardOpenOption.WRITE)) {
                    ch.truncate(valid);
                    ch.force(true);
                }
                segments.put(last, valid);
            }
        }
        Position read = readCursor();
        if (segments.isEmpty() || read.compareTo(new Position(segments.firstKey(), 0)) < 0) {
            read = segments.isEmpty() ? new Position(0, 0) : new Position(segments.firstKey(), 0);
        }
        if (read.compareTo(end()) > 0) {
            read = end();
        }
        cursor.set(read);
        unappliedBytes = bytesBetween(read, end());
    }

    private Position readCursor() throws IOException {
        Path file = settings.dir().resolve("cursor");
        if (!Files.exists(file)) {
            return new Position(0, 0);
        }
        String[] parts = Files.readString(file, StandardCharsets.US_ASCII).trim().split(" ");
        try {
            return new Position(Long.parseLong(parts[0]), Long.parseLong(parts[1]));
        } catch (RuntimeException e) {
            LOG.warn("Journal cursor {} is unreadable ({}): everything kept is sent again (batch ids make that"
                    + " safe)", file, e.toString());
            return new Position(0, 0);
        }
    }

    public Settings settings() {
        return settings;
    }

    /** The journal's id: the same for every process that opens this directory. */
    public String id() {
        return id;
    }

    /** Where the next record goes. */
    public synchronized Position end() {
        return segments.isEmpty() ? new Position(0, 0) : new Position(segments.lastKey(), segments.lastEntry().getValue());
    }

    /** How far Redis has confirmed. */
    public Position cursor() {
        return cursor.get();
    }

    /** Bytes written and not yet confirmed by Redis (as of the last append or cursor write). */
    public long unappliedBytes() {
        return unappliedBytes;
    }

    public synchronized long corruptRecords() {
        return corruptRecords;
    }

    /**
     * Whether more may wait for Redis (see {@link Settings#maxUnappliedBytes()}); never waits for the journal's
     * monitor, so a request thread may ask while the journal thread forces a write.
     */
    public boolean hasRoom() {
        return unappliedBytes < settings.maxUnappliedBytes();
    }

    private long bytesBetween(Position from, Position to) {
        if (from.compareTo(to) >= 0) {
            return 0;
        }
        long total = 0;
        for (var s : segments.subMap(from.segment(), true, to.segment(), true).entrySet()) {
            long start = s.getKey() == from.segment() ? from.offset() : 0;
            long stop = s.getKey() == to.segment() ? to.offset() : s.getValue();
            total += Math.max(0, stop - start);
        }
        return total;
    }

    /**
     * Appends entries and forces them to the device; returns each entry's end position. Either all entries are
     * written or the call fails and the journal ends where it did (a partial write is cut off).
     */
    public synchronized List<Position> append(List<? extends Entry> entries) throws IOException {
        if (entries.isEmpty()) {
            return List.of();
        }
        if (current == null || segments.lastEntry().getValue() >= settings.segmentBytes()) {
            startSegment();
        }
        long segment = segments.lastKey();
        long start = segments.get(segment);
        buffer.reset();
        List<Position> ends = new ArrayList<>(entries.size());
        for (Entry e : entries) {
            frame(buffer, e);
            ends.add(new Position(segment, start + buffer.size()));
        }
        ByteBuffer bytes = ByteBuffer.wrap(buffer.array(), 0, buffer.size());
        try {
            current.position(start);
            while (bytes.hasRemaining()) {
                current.write(bytes);
            }
            if (settings.sync()) {
                current.force(false);
            }
        } catch (IOException e) {
            try {
                current.truncate(start);
            } catch (IOException ignored) {
                // The torn tail is cut off at the next open.
            }
            throw e;
        }
        segments.put(segment, start + buffer.size());
        unappliedBytes = bytesBetween(cursor.get(), end());
        return ends;
    }

    private void startSegment() throws IOException {
        if (current != null) {
            current.close();
        }
        Position at = cursor.get();
        long next = segments.isEmpty() ? Math.max(1, at.segment() + 1) : segments.lastKey() + 1;
        current = FileChannel.open(segmentPath(next), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        current.truncate(0);
        segments.put(next, 0L);
        if (at.compareTo(new Position(next, 0)) < 0 && bytesBetween(at, new Position(next, 0)) == 0
                && cursor.compareAndSet(at, new Position(next, 0))) {
            // Everything before the new segment is applied: the cursor moves onto it, so retention can drop the rest.
            cursorDirty = true;
        }
    }

    /** Up to {@code max} entries after {@code from}, crossing segments. */
    public synchronized List<Stored> read(Position from, int max) throws IOException {
        List<Stored> out = new ArrayList<>();
        for (long segment : segments.tailMap(from.segment(), true).keySet()) {
            long offset = segment == from.segment() ? from.offset() : 0;
            scan(segment, offset, max - out.size(), out);
            if (out.size() >= max) {
                break;
            }
        }
        return out;
    }

    /** Decisions and outcomes between two positions. */
    public synchronized Counts count(Position from, Position to) throws IOException {
        Counts counts = Counts.ZERO;
        Position at = from;
        while (at.compareTo(to) < 0) {
            List<Stored> chunk = read(at, 1_000);
            if (chunk.isEmpty()) {
                break;
            }
            for (Stored s : chunk) {
                if (s.end().compareTo(to) > 0) {
                    return counts;
                }
                counts = counts.plus(s.entry());
                at = s.end();
            }
        }
        return counts;
    }

    /**
     * Reads records of a segment from {@code offset}: appends up to {@code max} to {@code out} (when not null) and
     * returns the offset after the last whole, valid record read.
     */
    private long scan(long segment, long offset, long max, List<Stored> out) throws IOException {
        Path path = segmentPath(segment);
        long size = Files.size(path);
        long at = offset;
        long read = 0;
        try (InputStream raw = Files.newInputStream(path)) {
            raw.skipNBytes(offset);
            DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(raw, 64 * 1024));
            while (read < max && at + HEADER <= size) {
                int magic = in.readInt();
                int length = in.readInt();
                int crc = in.readInt();
                if (magic != MAGIC || length < 0 || length > MAX_RECORD || at + HEADER + length > size) {
                    break;
                }
                byte[] payload = in.readNBytes(length);
                CRC32C check = new CRC32C();
                check.update(payload);
                if ((int) check.getValue() != crc) {
                    break;
                }
                at += HEADER + length;
                read++;
                if (out != null) {
                    out.add(new Stored(decode(payload), new Position(segment, at)));
                }
            }
        } catch (EOFException e) {
            // A record cut short: handled by the caller from the returned offset.
        }
        Long known = segments.get(segment);
        if (out != null && read < max && known != null && at < known) {
            corruptRecords++;
            LOG.error("Journal segment {} is corrupt at byte {}: its remaining {} bytes cannot be read and are"
                    + " skipped", path, at, known - at);
            segments.put(segment, at);
        }
        return at;
    }

    /** Marks everything up to {@code applied} as confirmed by Redis (persisted by {@link #persistCursor}). */
    public void commit(Position applied) {
        Position at = cursor.get();
        while (applied.compareTo(at) > 0) {
            if (cursor.compareAndSet(at, applied)) {
                cursorDirty = true;
                return;
            }
            at = cursor.get();
        }
    }

    /** The oldest record kept, applied or not. */
    public synchronized Position start() {
        Position first = segments.isEmpty() ? cursor.get() : new Position(segments.firstKey(), 0);
        return floor != null && floor.compareTo(first) > 0 ? floor : first;
    }

    /**
     * Forgets what Redis has confirmed: nothing before the cursor will be sent again. For a Redis emptied on
     * purpose (a new environment, a test), whose old data is not to come back.
     */
    public synchronized void forgetApplied() {
        floor = cursor.get();
        cursorDirty = true;
    }

    /** Writes the cursor (atomically) and drops applied segments beyond the retained bytes. */
    public synchronized void persistCursor() throws IOException {
        // Clear the flag before reading the cursor: a commit landing in between sets it again, for the next write.
        boolean dirty = cursorDirty;
        cursorDirty = false;
        Position at = cursor.get();
        unappliedBytes = bytesBetween(at, end());
        if (!dirty) {
            return;
        }
        Path tmp = settings.dir().resolve("cursor.tmp");
        Files.writeString(tmp, at.segment() + " " + at.offset() + "\n", StandardCharsets.US_ASCII);
        try {
            Files.move(tmp, settings.dir().resolve("cursor"), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, settings.dir().resolve("cursor"), StandardCopyOption.REPLACE_EXISTING);
        }
        long retained = 0;
        for (Long segment : new ArrayList<>(segments.headMap(at.segment(), false).descendingKeySet())) {
            retained += segments.get(segment);
            if (retained > settings.retainBytes() || floor != null && segment < floor.segment()) {
                Files.deleteIfExists(segmentPath(segment));
                segments.remove(segment);
            }
        }
    }

    /** Counts past the cursor: what this journal still owes Redis. */
    public synchronized Counts unapplied() throws IOException {
        return count(cursor.get(), end());
    }

    @Override
    public synchronized void close() throws IOException {
        try {
            if (cursor.get() != null) {
                persistCursor();
            }
        } finally {
            if (current != null) {
                current.close();
            }
            lock.release();
            lockChannel.close();
        }
    }

    private Path segmentPath(long segment) {
        return settings.dir().resolve(String.format("journal-%020d.log", segment));
    }

    // Encoding: a type byte, then the fields in order; strings as length-prefixed UTF-8 (-1 for null).

    private void frame(Bytes out, Entry e) {
        payload.reset();
        encode(payload, e);
        CRC32C crc = new CRC32C();
        crc.update(payload.array(), 0, payload.size());
        out.writeInt(MAGIC);
        out.writeInt(payload.size());
        out.writeInt((int) crc.getValue());
        out.write(payload.array(), 0, payload.size());
    }

    private static void encode(Bytes out, Entry entry) {
        if (entry instanceof Batch b) {
            out.writeByte(BATCH_OF_DAY);
            writeString(out, b.id());
            writeString(out, b.city());
            writeString(out, b.day());
            writeDoubles(out, b.totals());
            out.writeInt(b.events().size());
            for (DecisionEvent e : b.events()) {
                writeString(out, e.decisionId());
                writeString(out, e.userId());
                out.writeLong(e.timestampMillis());
                out.writeBoolean(e.couponGiven());
                writeStrings(out, e.streamFields());
                writeStrings(out, e.record());
            }
            writeStrings(out, b.claims());
        } else if (entry instanceof Outcome o) {
            out.writeByte(OUTCOME);
            writeString(out, o.city());
            writeString(out, o.decisionId());
            out.writeBoolean(o.converted());
            out.writeDouble(o.revenue());
            out.writeLong(o.timestampMillis());
            out.writeBoolean(o.counted());
        }
    }

    private static Entry decode(byte[] payload) throws IOException {
        DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(payload));
        byte type = in.readByte();
        if (type == OUTCOME) {
            return new Outcome(readString(in), readString(in), in.readBoolean(), in.readDouble(), in.readLong(),
                    in.readBoolean());
        }
        if (type != BATCH && type != BATCH_OF_DAY) {
            throw new IOException("unknown journal record type " + type);
        }
        String id = readString(in);
        String city = readString(in);
        String day = readString(in);
        Map<String, Double> totals = readDoubles(in);
        int n = in.readInt();
        List<DecisionEvent> events = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            events.add(type == BATCH
                    ? new DecisionEvent(readString(in), readString(in), readString(in), readString(in), in.readLong(),
                            in.readBoolean(), readStrings(in), readStrings(in), readDoubles(in))
                    : new DecisionEvent(city, day, readString(in), readString(in), in.readLong(), in.readBoolean(),
                            readStrings(in), readStrings(in), Map.of()));
        }
        return new Batch(id, city, day, totals, events, readStrings(in));
    }

    private static void writeString(Bytes out, String s) {
        if (s == null) {
            out.writeInt(-1);
            return;
        }
        if (!out.writeAscii(s)) {
            byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
            out.writeInt(bytes.length);
            out.write(bytes);
        }
    }

    private static String readString(DataInputStream in) throws IOException {
        int n = in.readInt();
        return n < 0 ? null : new String(in.readNBytes(n), StandardCharsets.UTF_8);
    }

    private static void writeStrings(Bytes out, Map<String, String> map) {
        if (map instanceof Utf8Fields encoded) {
            Map<String, byte[]> utf8 = encoded.utf8();
            out.writeInt(utf8.size());
            for (var e : utf8.entrySet()) {
                writeString(out, e.getKey());
                out.writeInt(e.getValue().length);
                out.write(e.getValue());
            }
            return;
        }
        out.writeInt(map.size());
        for (var e : map.entrySet()) {
            writeString(out, e.getKey());
            writeString(out, e.getValue());
        }
    }

    private static Map<String, String> readStrings(DataInputStream in) throws IOException {
        int n = in.readInt();
        Map<String, String> map = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            map.put(readString(in), readString(in));
        }
        return map;
    }

    private static void writeDoubles(Bytes out, Map<String, Double> map) {
        out.writeInt(map.size());
        for (var e : map.entrySet()) {
            writeString(out, e.getKey());
            out.writeDouble(e.getValue());
        }
    }

    private static Map<String, Double> readDoubles(DataInputStream in) throws IOException {
        int n = in.readInt();
        Map<String, Double> map = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            map.put(readString(in), in.readDouble());
        }
        return map;
    }
}
