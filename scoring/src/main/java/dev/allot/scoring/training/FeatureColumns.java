package dev.allot.scoring.training;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * How a CSV cell becomes a feature value, the same for {@code allot train} and {@code allot evaluate}: numbers as
 * numbers; yes/no and true/false as 1/0; an empty cell or NA as missing; other text as a category code, in lexical
 * order (an ordinal scale written to sort, {@code 1_low}, {@code 2_mid}, keeps its order) or in an order the user
 * declares. A column mixing numbers and text is refused, and so is one that identifies units rather than describing
 * them (text with as many different values as half the rows, whole numbers different on nine rows in ten).
 */
public final class FeatureColumns {

    /** Identifiers are looked for from this many rows on: below it, distinct values are no evidence. */
    private static final int IDENTIFIER_ROWS = 1_000;

    private final List<String> names;
    private final Map<String, List<String>> declared;
    private final List<Map<String, Integer>> seen = new ArrayList<>();
    private final boolean[] numeric;

    /**
     * @param names    the feature columns, in row order
     * @param declared for some text columns, their categories in order (lowest code first)
     */
    public FeatureColumns(List<String> names, Map<String, List<String>> declared) {
        this.names = List.copyOf(names);
        this.declared = Map.copyOf(declared);
        for (String column : declared.keySet()) {
            if (!names.contains(column)) {
                throw new IllegalArgumentException("--category-order names " + column + ", which is not a feature");
            }
        }
        for (int f = 0; f < names.size(); f++) {
            seen.add(new LinkedHashMap<>());
        }
        this.numeric = new boolean[names.size()];
    }

    /** The value of {@code cell} in feature {@code f}: final for numbers, a provisional code for text. */
    public float encode(int f, String cell) {
        String v = cell.strip();
        if (v.isEmpty() || v.equalsIgnoreCase("NA")) {
            return Float.NaN;
        }
        switch (v.toLowerCase(Locale.ROOT)) {
            case "yes", "true" -> {
                numeric[f] = true;
                return 1f;
            }
            case "no", "false" -> {
                numeric[f] = true;
                return 0f;
            }
            default -> {
                return numberOrCode(f, v);
            }
        }
    }

    private float numberOrCode(int f, String v) {
        float number;
        try {
            number = Float.parseFloat(v);
        } catch (NumberFormatException e) {
            Map<String, Integer> codes = seen.get(f);
            Integer code = codes.get(v);
            if (code == null) {
                code = codes.size();
                codes.put(v, code);
            }
            return code;
        }
        if (!Float.isFinite(number)) {
            throw new IllegalArgumentException("feature " + names.get(f) + " is not a finite number: '" + v + "'");
        }
        numeric[f] = true;
        return number;
    }

    /**
     * Recodes the text columns of {@code features} ({@code rows} rows, row-major) in their final order and checks
     * every column; {@code remedy} ends a refusal's message (what the user does about it). Returns each text
     * column's codes.
     */
    public Map<String, Map<String, Integer>> finish(float[] features, int rows, String remedy) {
        int width = names.size();
        Map<String, Map<String, Integer>> encodings = new LinkedHashMap<>();
        for (int f = 0; f < width; f++) {
            String name = names.get(f);
            Map<String, Integer> provisional = seen.get(f);
            if (provisional.isEmpty()) {
                if (numeric[f]) {
                    refuseWholeNumberIdentifier(features, rows, f, remedy);
                }
                continue;
            }
            if (numeric[f]) {
                throw new IllegalArgumentException("--features column " + name + " holds both numbers and text (such"
                        + " as '" + provisional.keySet().iterator().next() + "'): give it one kind");
            }
            if (rows >= IDENTIFIER_ROWS && 2L * provisional.size() >= rows) {
                throw new IllegalArgumentException("--features column " + name + " holds " + provisional.size()
                        + " different values in " + rows + " rows: it identifies units rather than describing them;"
                        + " " + remedy);
            }
            List<String> order = declared.get(name);
            if (order != null) {
                for (String value : provisional.keySet()) {
                    if (!order.contains(value)) {
                        throw new IllegalArgumentException("--category-order " + name + ": value '" + value
                                + "' is not one of " + String.join(", ", order));
                    }
                }
            } else {
                order = new ArrayList<>(provisional.keySet());
                Collections.sort(order);
            }
            float[] recode = new float[provisional.size()];
            Map<String, Integer> codes = new LinkedHashMap<>();
            for (int code = 0; code < order.size(); code++) {
                codes.put(order.get(code), code);
                Integer was = provisional.get(order.get(code));
                if (was != null) {
                    recode[was] = code;
                }
            }
            for (int i = f; i < rows * width; i += width) {
                if (!Float.isNaN(features[i])) {
                    features[i] = recode[(int) features[i]];
                }
            }
            encodings.put(name, codes);
        }
        return encodings;
    }

    /**
     * Whole numbers (99% of them), nine in ten of them different: an account or order number, not a measurement.
     * Only that strong a signal is refused: a count or a number of days takes many values too, and a refusal there
     * would stop legitimate work.
     */
    private void refuseWholeNumberIdentifier(float[] features, int rows, int f, String remedy) {
        if (rows < IDENTIFIER_ROWS) {
            return;
        }
        int width = names.size();
        float[] values = new float[rows];
        int n = 0;
        int fractional = 0;
        for (int i = 0; i < rows; i++) {
            float v = features[i * width + f];
            if (!Float.isNaN(v)) {
                values[n++] = v;
                fractional += v != Math.rint(v) ? 1 : 0;
            }
        }
        // A stray fraction or two (GGL's household ids include 41511.5) does not make a measurement.
        if (fractional > n / 100) {
            return;
        }
        Arrays.sort(values, 0, n);
        int distinct = n == 0 ? 0 : 1;
        for (int i = 1; i < n; i++) {
            distinct += values[i] != values[i - 1] ? 1 : 0;
        }
        if (10L * distinct >= 9L * rows) {
            throw new IllegalArgumentException("--features column " + names.get(f) + " holds " + distinct
                    + " different whole numbers in " + rows + " rows: it identifies units rather than describing"
                    + " them; " + remedy);
        }
    }

    /** Parses {@code column=a,b,c} (the categories of a text column, lowest code first). */
    public static Map<String, List<String>> parseOrders(List<String> specs) {
        Map<String, List<String>> orders = new LinkedHashMap<>();
        for (String spec : specs == null ? List.<String>of() : specs) {
            int eq = spec.indexOf('=');
            if (eq <= 0 || eq == spec.length() - 1) {
                throw new IllegalArgumentException("--category-order takes column=first,second,..., got '" + spec
                        + "'");
            }
            List<String> values = new ArrayList<>();
            Set<String> distinct = new HashSet<>();
            for (String v : spec.substring(eq + 1).split(",")) {
                if (!distinct.add(v.strip())) {
                    throw new IllegalArgumentException("--category-order " + spec.substring(0, eq).strip()
                            + " names '" + v.strip() + "' twice");
                }
                values.add(v.strip());
            }
            orders.put(spec.substring(0, eq).strip(), values);
        }
        return orders;
    }
}
