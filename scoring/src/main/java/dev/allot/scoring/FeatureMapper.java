package dev.allot.scoring;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Named features to the model's row: the one place that knows which column a name lands in. Serving, replay,
 * solving and evaluation all build rows through it, so a feature is never placed differently online and
 * offline. Names the schema does not know are counted, not placed; absent names stay missing (NaN), which the
 * model routes down its default branch.
 */
public final class FeatureMapper {

    private final FeatureSchema schema;
    private final Map<String, Integer> positions;

    public FeatureMapper(FeatureSchema schema) {
        this.schema = schema;
        this.positions = schema.positions();
    }

    public FeatureSchema schema() {
        return schema;
    }

    public int width() {
        return schema.size();
    }

    /** Column of {@code name}, or -1 when the model does not know it. */
    public int position(String name) {
        Integer p = positions.get(name);
        return p == null ? -1 : p;
    }

    /** For each of a table's columns, the row position it fills, or -1 when the model does not know it. */
    public int[] columns(List<String> header) {
        return header.stream().mapToInt(this::position).toArray();
    }

    /** A row from one table line: {@code values[c]} goes where {@link #columns} sends column {@code c}. */
    public float[] row(int[] columns, float[] values) {
        float[] row = new float[width()];
        Arrays.fill(row, Float.NaN);
        for (int c = 0; c < columns.length; c++) {
            if (columns[c] >= 0) {
                row[columns[c]] = values[c];
            }
        }
        return row;
    }

    /** A fresh row for {@code features}. */
    public float[] row(Map<String, Double> features) {
        float[] row = new float[width()];
        fill(features, row);
        return row;
    }

    /** Fills {@code row} (every cell is written) and returns how many names the model does not know. */
    public int fill(Map<String, Double> features, float[] row) {
        Arrays.fill(row, Float.NaN);
        int unknown = 0;
        for (Map.Entry<String, Double> f : features.entrySet()) {
            Integer p = positions.get(f.getKey());
            if (p == null) {
                unknown++;
            } else if (f.getValue() != null) {
                row[p] = f.getValue().floatValue();
            }
        }
        return unknown;
    }
}
