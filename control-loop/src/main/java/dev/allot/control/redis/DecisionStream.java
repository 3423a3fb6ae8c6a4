package dev.allot.control.redis;

import dev.allot.control.DecisionEvent;
import dev.allot.control.Utf8Fields;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The entries of a city's decision stream ({@link RedisKeys#decisions}). A write-behind batch writes one entry
 * for all its decisions, its records one per line in the {@value #RECORDS} field: an entry per decision cost Redis
 * an {@code XADD} and its script call a decision (docs/benchmarks.md). A record is JSON, which escapes every
 * control character, so a line break can only be a separator. Entries written before hold one decision each
 * (a {@value #RECORD} field, or the flat fields of the first format), and so does a decision whose stream fields
 * are not a record. Readers see decisions, never entries: {@link #decisions}.
 */
public final class DecisionStream {

    /** The field of a one-decision entry that holds its record. */
    public static final String RECORD = "record";
    /** The field of a batch's entry that holds its records, one per line. */
    public static final String RECORDS = "records";

    private static final byte LINE = '\n';

    private DecisionStream() {
    }

    /** The decisions an entry holds, oldest first, each as the fields of a one-decision entry. */
    public static List<Map<String, String>> decisions(Map<String, String> entry) {
        String records = entry.get(RECORDS);
        if (records == null) {
            return List.of(entry);
        }
        List<Map<String, String>> out = new ArrayList<>();
        int from = 0;
        while (from < records.length()) {
            int end = records.indexOf(LINE, from);
            if (end < 0) {
                end = records.length();
            }
            if (end > from) {
                out.add(Map.of(RECORD, records.substring(from, end)));
            }
            from = end + 1;
        }
        return out;
    }

    /** The record of an event that a batch's entry can carry, as UTF-8; null for other stream fields. */
    static byte[] record(DecisionEvent event) {
        if (event.streamFields() instanceof Utf8Fields encoded) {
            Map<String, byte[]> utf8 = encoded.utf8();
            return utf8.size() == 1 ? utf8.get(RECORD) : null;
        }
        return null;
    }

    /** Records joined into the value of a batch's {@value #RECORDS} field; null when there are none. */
    static byte[] join(List<byte[]> records) {
        if (records.isEmpty()) {
            return null;
        }
        int size = records.size() - 1;
        for (byte[] r : records) {
            size += r.length;
        }
        byte[] out = new byte[size];
        int at = 0;
        for (byte[] r : records) {
            if (at > 0) {
                out[at++] = LINE;
            }
            System.arraycopy(r, 0, out, at, r.length);
            at += r.length;
        }
        return out;
    }
}
