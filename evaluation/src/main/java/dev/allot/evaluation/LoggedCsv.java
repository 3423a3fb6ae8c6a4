package dev.allot.evaluation;

import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * Reads randomized logged data from any CSV (gzip allowed) given the names of its columns. Numbers are read
 * as numbers; yes/no and true/false as 1/0; other text in a feature column gets a code per distinct value
 * (in order of appearance, reported in {@link LoggedData#encodings()}); an empty cell or NA is missing.
 */
public final class LoggedCsv {

    /**
     * Which columns mean what. Either {@code propensityColumn} names a column, or {@code propensities} gives the
     * logging probability of each arm (in {@code arms} order).
     */
    public record Spec(String treatment, String outcome, String cluster, List<String> features, List<String> arms,
                       double[] costs, String propensityColumn, double[] propensities) {
        public Spec {
            if (arms.size() != costs.length) {
                throw new IllegalArgumentException("--arms names " + arms.size() + " arms but --costs gives "
                        + costs.length + " costs");
            }
            for (int j = 1; j < costs.length; j++) {
                if (!(costs[j] > costs[j - 1])) {
                    throw new IllegalArgumentException("--costs must be strictly increasing in --arms order");
                }
            }
            if ((propensityColumn == null) == (propensities == null)) {
                throw new IllegalArgumentException("give exactly one of --propensity (a column) and --propensities");
            }
            if (propensities != null && propensities.length != arms.size()) {
                throw new IllegalArgumentException("--propensities gives " + propensities.length + " values for "
                        + arms.size() + " arms");
            }
        }
    }

    private LoggedCsv() {
    }

    public static LoggedData read(Path file, Spec spec) throws IOException {
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file));
             Reader reader = new InputStreamReader(file.toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw,
                     StandardCharsets.UTF_8);
             CSVParser csv = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).setTrim(true).get()
                     .parse(reader)) {
            Map<String, Integer> header = csv.getHeaderMap();
            for (String column : columns(spec)) {
                if (!header.containsKey(column)) {
                    throw new IllegalArgumentException(file + ":1: no column '" + column + "'; columns are "
                            + header.keySet());
                }
            }
            Map<String, Integer> armIndex = new HashMap<>();
            for (int j = 0; j < spec.arms().size(); j++) {
                armIndex.put(spec.arms().get(j).strip(), j);
            }
            int width = spec.features().size();
            Map<String, Map<String, Integer>> encodings = new LinkedHashMap<>();
            List<float[]> rows = new ArrayList<>();
            List<Integer> arms = new ArrayList<>();
            List<Float> outcomes = new ArrayList<>();
            List<Double> propensities = new ArrayList<>();
            List<Integer> clusters = new ArrayList<>();
            Map<String, Integer> clusterIndex = new HashMap<>();
            List<String> clusterNames = new ArrayList<>();
            for (CSVRecord record : csv) {
                long line = record.getRecordNumber() + 1;
                String treatment = record.get(spec.treatment()).strip();
                Integer arm = armIndex.get(treatment);
                if (arm == null) {
                    throw new IllegalArgumentException(file + ":" + line + ": treatment '" + treatment
                            + "' is not one of --arms " + spec.arms());
                }
                float[] row = new float[width];
                for (int f = 0; f < width; f++) {
                    String name = spec.features().get(f);
                    row[f] = encode(record.get(name), name, encodings);
                }
                double p = spec.propensities() != null ? spec.propensities()[arm]
                        : parseNumber(record.get(spec.propensityColumn()), file, line, spec.propensityColumn());
                if (!(p > 0 && p <= 1)) {
                    throw new IllegalArgumentException(file + ":" + line + ": propensity must be in (0, 1], got " + p);
                }
                String cluster = record.get(spec.cluster());
                Integer c = clusterIndex.computeIfAbsent(cluster, k -> {
                    clusterNames.add(k);
                    return clusterNames.size() - 1;
                });
                rows.add(row);
                arms.add(arm);
                outcomes.add(outcome(record.get(spec.outcome()), file, line, spec.outcome()));
                propensities.add(p);
                clusters.add(c);
            }
            int n = rows.size();
            float[] features = new float[n * width];
            for (int i = 0; i < n; i++) {
                System.arraycopy(rows.get(i), 0, features, i * width, width);
            }
            return new LoggedData(List.copyOf(spec.features()), features, List.copyOf(spec.arms()), spec.costs(),
                    arms.stream().mapToInt(Integer::intValue).toArray(), toFloats(outcomes),
                    propensities.stream().mapToDouble(Double::doubleValue).toArray(),
                    clusters.stream().mapToInt(Integer::intValue).toArray(), clusterNames, encodings);
        }
    }

    private static List<String> columns(Spec spec) {
        List<String> columns = new ArrayList<>(spec.features());
        columns.add(spec.treatment());
        columns.add(spec.outcome());
        columns.add(spec.cluster());
        if (spec.propensityColumn() != null) {
            columns.add(spec.propensityColumn());
        }
        return columns;
    }

    private static float encode(String cell, String column, Map<String, Map<String, Integer>> encodings) {
        String v = cell.strip();
        if (v.isEmpty() || v.equalsIgnoreCase("NA")) {
            return Float.NaN;
        }
        switch (v.toLowerCase(Locale.ROOT)) {
            case "yes", "true" -> {
                return 1f;
            }
            case "no", "false" -> {
                return 0f;
            }
            default -> {
                try {
                    return Float.parseFloat(v);
                } catch (NumberFormatException e) {
                    Map<String, Integer> codes = encodings.computeIfAbsent(column, k -> new LinkedHashMap<>());
                    return codes.computeIfAbsent(v, k -> codes.size());
                }
            }
        }
    }

    private static float outcome(String cell, Path file, long line, String column) {
        switch (cell.strip().toLowerCase(Locale.ROOT)) {
            case "1", "yes", "true" -> {
                return 1f;
            }
            case "0", "no", "false" -> {
                return 0f;
            }
            default -> throw new IllegalArgumentException(file + ":" + line + ": " + column
                    + " must be 1/0, yes/no or true/false, got '" + cell + "'");
        }
    }

    private static double parseNumber(String cell, Path file, long line, String column) {
        try {
            return Double.parseDouble(cell.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(file + ":" + line + ": " + column + " is not a number: '" + cell + "'");
        }
    }

    private static float[] toFloats(List<Float> values) {
        float[] a = new float[values.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = values.get(i);
        }
        return a;
    }
}
