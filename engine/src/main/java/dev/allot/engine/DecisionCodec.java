package dev.allot.engine;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.allot.control.Utf8Fields;
import dev.allot.control.redis.DecisionStream;
import dev.allot.rules.Reason;
import dev.allot.scoring.CsvTable;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The one writer and reader of {@link DecisionRecord}s: a JSON document carrying its format version, stored as
 * a line of a decision-stream entry ({@link DecisionStream}) and as the {@value #FIELD} column of the CSV export.
 * Records written before the format was versioned (flat stream fields, format 0) still read; a format newer
 * than this code is refused rather than half-read. Map keys are written in sorted order, so a record has one
 * encoding.
 */
public final class DecisionCodec {

    /** The format this code writes. */
    public static final int FORMAT = 1;
    /** The stream field and CSV column that hold the record. */
    public static final String FIELD = DecisionStream.RECORD;

    private DecisionCodec() {
    }

    /**
     * The stream entry for {@code record}, encoded when first read rather than now: the write-behind log reads
     * it on its journal thread (or when it sends the batch), so the request's event loop does not pay for the
     * record's JSON (4 µs, docs/benchmarks.md). The JSON is written as UTF-8 bytes, which the journal and Redis
     * take as they are ({@link Utf8Fields}); reading it as a string decodes them. Safe to read from several
     * threads at once.
     */
    public static Map<String, String> toStream(DecisionRecord record) {
        return new DeferredEntry(record);
    }

    private static final class DeferredEntry extends AbstractMap<String, String> implements Utf8Fields {
        private DecisionRecord record;
        private volatile Map<String, byte[]> utf8;
        private volatile Map<String, String> text;

        DeferredEntry(DecisionRecord record) {
            this.record = record;
        }

        @Override
        public Map<String, byte[]> utf8() {
            Map<String, byte[]> encoded = utf8;
            if (encoded == null) {
                synchronized (this) {
                    encoded = utf8;
                    if (encoded == null) {
                        encoded = Map.of(FIELD, toJsonBytes(record));
                        utf8 = encoded;
                        // A pending decision then holds its JSON only, as it did when encoded eagerly.
                        record = null;
                    }
                }
            }
            return encoded;
        }

        @Override
        public Set<Entry<String, String>> entrySet() {
            Map<String, String> decoded = text;
            if (decoded == null) {
                decoded = Map.of(FIELD, new String(utf8().get(FIELD), StandardCharsets.UTF_8));
                text = decoded;
            }
            return decoded.entrySet();
        }
    }

    /** A stream entry back to its record, in this format or in the unversioned one before it. */
    public static DecisionRecord fromStream(Map<String, String> fields) {
        String json = fields.get(FIELD);
        return json != null ? fromJson(json) : fromFormat0(fields);
    }

    /**
     * Every record of a CSV with a {@value #FIELD} column (what {@code allot export} writes), oldest first.
     * A row that does not read stops the pass with its file and line.
     */
    public static void readCsv(Path file, Consumer<DecisionRecord> visitor) throws IOException {
        try (CsvTable csv = CsvTable.open(file)) {
            int column = csv.column(FIELD);
            for (CsvTable.Row row : csv) {
                DecisionRecord record;
                try {
                    record = fromJson(row.get(column));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(file + ":" + row.line() + ": " + e.getMessage(), e);
                }
                visitor.accept(record);
            }
        }
    }

    public static String toJson(DecisionRecord r) {
        return new String(toJsonBytes(r), StandardCharsets.UTF_8);
    }

    /**
     * The record's JSON as UTF-8, written directly ({@link RecordJson}): Jackson's bytes for it, at a fraction of
     * the cost. Numbers in the level arrays marked as floats carry seven significant digits: model outputs and
     * what is computed from them carry no more information than that (the trees sum float leaves), and the record
     * halves in size. Levels are replayed from the features, never from these numbers, so replayed levels stay
     * exact; expected figures computed from recorded curves are exact to those seven digits.
     */
    public static byte[] toJsonBytes(DecisionRecord r) {
        return RecordJson.encode(r);
    }

    public static DecisionRecord fromJson(String json) {
        JsonNode n;
        try {
            n = Json.MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("decision record is not JSON: " + e.getOriginalMessage(), e);
        }
        int format = require(n, "v").asInt();
        if (format > FORMAT) {
            throw new IllegalArgumentException("decision record format " + format + " is newer than this release"
                    + " reads (" + FORMAT + "); upgrade allot");
        }
        JsonNode c = require(n, "context");
        JsonNode l = require(n, "levels");
        DecisionContext context = new DecisionContext(c.path("coupons7d").asLong(),
                c.path("historyKnown").asBoolean(), c.path("dayDecisions").asLong(), c.path("daySpend").asDouble(),
                c.path("segmentSpend").asDouble());
        Levels levels = new Levels(doubles(require(l, "coupon")), doubles(require(l, "price")),
                doubles(require(l, "raw")), doubles(require(l, "calibrated")), doubles(require(l, "value")),
                doubles(require(l, "cost")), Levels.parseMask(require(l, "allowed").asText()),
                l.hasNonNull("worth") ? doubles(l.get("worth")) : null);
        JsonNode level = n.path("level");
        return new DecisionRecord(format, text(n, "decisionId"), n.hasNonNull("requestId")
                ? n.get("requestId").asText() : null, text(n, "city"), text(n, "day"), require(n, "ts").asLong(),
                n.hasNonNull("clientTs") ? Instant.parse(n.get("clientTs").asText()) : null, text(n, "userId"),
                text(n, "segment"), features(n.path("features")), attributes(n.path("attributes")),
                strings(n.path("campaigns")), context, levels, text(n, "group"), require(n, "propensity").asDouble(),
                require(n, "lambda").asDouble(), level.isNull() || level.isMissingNode() ? null : level.asInt(),
                require(n, "coupon").asDouble(), require(n, "price").asDouble(), reasons(n.path("reasons")),
                text(n, "modelVersion"), text(n, "rulesVersion"));
    }

    /**
     * The stream entries written before records were versioned: flat fields, no attributes, no context, no
     * values or costs (NaN), campaigns comma-joined, the day unknown (empty).
     */
    static DecisionRecord fromFormat0(Map<String, String> f) {
        try {
            double[] raw = doubles(Json.MAPPER.readTree(field(f, "raw")));
            double[] calibrated = doubles(Json.MAPPER.readTree(field(f, "calibrated")));
            double[] unknown = new double[raw.length];
            Arrays.fill(unknown, Double.NaN);
            Levels levels = new Levels(unknown, unknown.clone(), raw, calibrated, unknown.clone(), unknown.clone(),
                    Levels.parseMask(field(f, "allowed")));
            String level = f.getOrDefault("level", "");
            String campaigns = f.getOrDefault("campaigns", "");
            String requestId = f.getOrDefault("requestId", "");
            String clientTs = f.getOrDefault("clientTs", "");
            return new DecisionRecord(0, field(f, "decisionId"), requestId.isEmpty() ? null : requestId,
                    f.getOrDefault("city", cityOf(field(f, "decisionId"))), "", Long.parseLong(field(f, "ts")),
                    clientTs.isEmpty() ? null : Instant.parse(clientTs), field(f, "userId"), field(f, "segment"),
                    features(Json.MAPPER.readTree(f.getOrDefault("features", "{}"))), Map.of(),
                    campaigns.isEmpty() ? List.of() : List.of(campaigns.split(",")), DecisionContext.UNKNOWN, levels,
                    field(f, "group"), Double.parseDouble(field(f, "propensity")),
                    Double.parseDouble(field(f, "lambda")), level.isEmpty() ? null : Integer.valueOf(level),
                    Double.parseDouble(field(f, "coupon")), Double.parseDouble(field(f, "price")),
                    reasons(Json.MAPPER.readTree(f.getOrDefault("reasons", "[]"))),
                    f.getOrDefault("modelVersion", ""), f.getOrDefault("rulesVersion", ""));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("decision entry has a malformed JSON field: " + e.getOriginalMessage(),
                    e);
        }
    }

    /** Decision ids are {@code <city>.<uuid>}. */
    private static String cityOf(String decisionId) {
        int dot = decisionId.lastIndexOf('.');
        return dot < 0 ? "" : decisionId.substring(0, dot);
    }

    private static String field(Map<String, String> f, String name) {
        String v = f.get(name);
        if (v == null) {
            throw new IllegalArgumentException("decision entry has no '" + name + "' field");
        }
        return v;
    }

    private static JsonNode require(JsonNode n, String name) {
        JsonNode v = n.get(name);
        if (v == null || v.isNull()) {
            throw new IllegalArgumentException("decision record has no '" + name + "'");
        }
        return v;
    }

    private static String text(JsonNode n, String name) {
        return require(n, name).asText();
    }

    private static double[] doubles(JsonNode array) {
        double[] values = new double[array.size()];
        for (int i = 0; i < values.length; i++) {
            JsonNode v = array.get(i);
            values[i] = v.isNull() ? Double.NaN : v.asDouble();
        }
        return values;
    }

    private static Map<String, Double> features(JsonNode object) {
        Map<String, Double> features = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            features.put(e.getKey(), e.getValue().asDouble());
        }
        return features;
    }

    private static Map<String, Object> attributes(JsonNode object) {
        Map<String, Object> attributes = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode v = e.getValue();
            // A whole number written as one reads back as a Long, a decimal as a Double: rules see the same type.
            attributes.put(e.getKey(), v.isBoolean() ? (Object) v.booleanValue()
                    : v.isIntegralNumber() ? (Object) v.longValue()
                    : v.isNumber() ? (Object) v.doubleValue() : v.asText());
        }
        return attributes;
    }

    private static List<String> strings(JsonNode array) {
        List<String> values = new ArrayList<>(array.size());
        array.forEach(v -> values.add(v.asText()));
        return values;
    }

    private static List<Reason> reasons(JsonNode array) {
        List<Reason> reasons = new ArrayList<>(array.size());
        array.forEach(v -> reasons.add(new Reason(v.path("rule").asText(), v.path("effect").asText())));
        return reasons;
    }
}
