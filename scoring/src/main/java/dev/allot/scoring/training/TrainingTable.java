package dev.allot.scoring.training;

import dev.allot.scoring.CsvTable;
import dev.allot.scoring.FeatureSchema;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Logged traffic for training, read from a CSV with a header (what {@code allot export} writes, or any file
 * with the same columns). Feature columns are every column except the outcome, the level, the user and
 * time columns, and a deny-list of columns recorded after the decision (revenue, price, propensity, ...):
 * those would leak the outcome or the policy into the model, so training refuses them. Feature cells are read
 * as {@code allot evaluate} reads them ({@link FeatureColumns}): text categories become codes, listed in the model
 * card's {@code encodings}, which is what the app then sends for them.
 *
 * @param users user id per row (null when the file has no user column)
 * @param times epoch milliseconds per row (null when the file has no time column)
 * @param refused columns present in the file that were refused as features
 * @param encodings for text feature columns, the code of each value (what the model sees)
 * @param values    per row, the value column's amount (what a conversion was worth), or null without one
 */
public record TrainingTable(TrainingSet data, String[] users, long[] times, List<String> refused,
                            Map<String, Map<String, Integer>> encodings, float[] values) {

    public TrainingTable(TrainingSet data, String[] users, long[] times, List<String> refused) {
        this(data, users, times, refused, Map.of(), null);
    }

    /** Columns recorded at or after the decision, never features unless the deny-list is overridden. */
    public static final Set<String> DEFAULT_DENY = Set.of("revenue", "price", "propensity", "group", "segment",
            "decisionId", "requestId", "lambda", "modelVersion", "rulesVersion", "ts", "clientTs", "outcomeTs",
            "realizedRevenue", "id", "record",
            // Names that say "outcome": recorded after the decision, never a feature unless --allow says so.
            "conversion", "converted", "conversions", "purchase", "purchased", "spend", "spent", "sales", "visit",
            "visited", "outcome", "label", "target", "y");

    /** Column names and the deny-list. */
    public record Columns(String outcome, String level, String coupon, String user, String time, Set<String> deny) {
        public static Columns defaults() {
            return new Columns("converted", "level", "coupon", "userId", "timestamp", DEFAULT_DENY);
        }
    }

    public static TrainingTable read(Path file, Columns columns) throws IOException {
        return read(file, columns, Map.of());
    }

    /**
     * Reads the table; features are read as {@code allot evaluate} reads them ({@link FeatureColumns}), text
     * categories in lexical order or in {@code categoryOrders}.
     */
    public static TrainingTable read(Path file, Columns columns, Map<String, List<String>> categoryOrders)
            throws IOException {
        return read(file, columns, categoryOrders, null);
    }

    /**
     * {@link #read}, also reading {@code valueColumn} (what each conversion was worth, e.g. the order's amount) for
     * a value model; it is never a feature.
     */
    public static TrainingTable read(Path file, Columns columns, Map<String, List<String>> categoryOrders,
                                     String valueColumn) throws IOException {
        try (CsvTable csv = CsvTable.open(file)) {
            List<String> header = csv.header();
            int outcome = header.indexOf(columns.outcome());
            int value = valueColumn == null ? -1 : header.indexOf(valueColumn);
            if (valueColumn != null && value < 0) {
                throw new IllegalArgumentException(file + ":1: no value column '" + valueColumn + "'");
            }
            int user = header.indexOf(columns.user());
            int time = header.indexOf(columns.time());
            List<Integer> featureColumns = new ArrayList<>();
            List<String> names = new ArrayList<>();
            List<String> refused = new ArrayList<>();
            for (int c = 0; c < header.size(); c++) {
                String name = header.get(c);
                if (c == outcome || c == user || c == time || c == value || name.equals(columns.level())) {
                    continue;
                }
                // The coupon column named explicitly is a feature even when the default deny-list names it.
                if (denied(columns.deny(), name) && !name.equals(columns.coupon())) {
                    refused.add(name);
                } else {
                    featureColumns.add(c);
                    names.add(name);
                }
            }
            if (outcome < 0) {
                throw new IllegalArgumentException(file + ":1: no outcome column '" + columns.outcome()
                        + "' (set --outcome-column)");
            }
            if (!names.contains(columns.coupon())) {
                throw new IllegalArgumentException(file + ":1: no coupon column '" + columns.coupon()
                        + "': the model needs the offered coupon value as a feature");
            }
            if (new LinkedHashSet<>(names).size() != names.size()) {
                throw new IllegalArgumentException(file + ":1: duplicate column names in " + names);
            }
            FeatureSchema schema = new FeatureSchema(names, columns.coupon());
            int width = names.size();
            FeatureColumns encoder = new FeatureColumns(names, categoryOrders);
            FloatList x = new FloatList();
            FloatList y = new FloatList();
            FloatList amounts = new FloatList();
            List<String> users = new ArrayList<>();
            List<Long> times = new ArrayList<>();
            for (CsvTable.Row row : csv) {
                for (int f = 0; f < width; f++) {
                    try {
                        x.add(encoder.encode(f, row.get(featureColumns.get(f))));
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException(file + ":" + row.line() + ": " + e.getMessage(), e);
                    }
                }
                y.add(csv.label(row, outcome));
                if (value >= 0) {
                    amounts.add(csv.number(row, value));
                }
                if (user >= 0) {
                    users.add(row.get(user));
                }
                if (time >= 0) {
                    times.add(epochMillis(row.get(time), file, row.line(), columns.time()));
                }
            }
            int rows = y.size();
            if (rows == 0) {
                throw new IllegalArgumentException(file + " has no rows");
            }
            float[] features = x.toArray();
            float[] labels = y.toArray();
            Map<String, Map<String, Integer>> encodings = encoder.finish(features, rows, "add it to --deny");
            if (encodings.containsKey(columns.coupon())) {
                throw new IllegalArgumentException(file + ": coupon column " + columns.coupon() + " holds text (such as '"
                        + encodings.get(columns.coupon()).keySet().iterator().next() + "'): it must be the coupon's"
                        + " value, a number");
            }
            Leakage.refuse(features, names, labels, columns.outcome(), "add it to --deny");
            return new TrainingTable(new TrainingSet(schema, features, labels, rows),
                    user >= 0 ? users.toArray(String[]::new) : null,
                    time >= 0 ? times.stream().mapToLong(Long::longValue).toArray() : null, List.copyOf(refused),
                    encodings, value >= 0 ? amounts.toArray() : null);
        }
    }

    /** Whether the deny-list names the column, in any case ({@code Purchase} is {@code purchase}). */
    private static boolean denied(Set<String> deny, String name) {
        for (String d : deny) {
            if (d.equalsIgnoreCase(name)) {
                return true;
            }
        }
        return false;
    }

    private static long epochMillis(String cell, Path file, long line, String column) {
        try {
            return cell.chars().allMatch(Character::isDigit) ? Long.parseLong(cell) : Instant.parse(cell).toEpochMilli();
        } catch (NumberFormatException | DateTimeParseException e) {
            throw new IllegalArgumentException(file + ":" + line + ": " + column
                    + " must be epoch milliseconds or an ISO-8601 instant, got '" + cell + "'");
        }
    }

    /** A growable float array: training files have millions of cells. */
    private static final class FloatList {
        private float[] a = new float[1 << 16];
        private int n;

        void add(float v) {
            if (n == a.length) {
                a = java.util.Arrays.copyOf(a, a.length * 2);
            }
            a[n++] = v;
        }

        int size() {
            return n;
        }

        float[] toArray() {
            return java.util.Arrays.copyOf(a, n);
        }
    }
}
