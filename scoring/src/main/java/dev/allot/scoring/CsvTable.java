package dev.allot.scoring;

import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

/**
 * The one way Allot reads a CSV with a header (gzip allowed, quoted fields allowed): rows with their line
 * numbers, and the cell parsers every reader shares, whose errors name the file, line and column.
 */
public final class CsvTable implements AutoCloseable, Iterable<CsvTable.Row> {

    /** One data row; {@code line} is its 1-based line in the file. */
    public record Row(long line, CSVRecord record) {
        public String get(int column) {
            return record.get(column);
        }

        public int size() {
            return record.size();
        }
    }

    private final Path file;
    private final CSVParser parser;
    private final List<String> header;

    private CsvTable(Path file, CSVParser parser) {
        this.file = file;
        this.parser = parser;
        this.header = parser.getHeaderNames().stream().map(String::strip).toList();
    }

    public static CsvTable open(Path file) throws IOException {
        InputStream raw = new BufferedInputStream(Files.newInputStream(file));
        InputStream in = file.toString().endsWith(".gz") ? new java.util.zip.GZIPInputStream(raw) : raw;
        CSVParser parser = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).setTrim(true)
                .setIgnoreEmptyLines(true).get().parse(new InputStreamReader(in, StandardCharsets.UTF_8));
        return new CsvTable(file, parser);
    }

    public Path file() {
        return file;
    }

    public List<String> header() {
        return header;
    }

    /** Position of a column, or an error naming the columns there are. */
    public int column(String name) {
        int at = header.indexOf(name);
        if (at < 0) {
            throw new IllegalArgumentException(file + ":1: no column '" + name + "'; columns are " + header);
        }
        return at;
    }

    @Override
    public Iterator<Row> iterator() {
        Iterator<CSVRecord> records = parser.iterator();
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return records.hasNext();
            }

            @Override
            public Row next() {
                CSVRecord record = records.next();
                if (record.size() != header.size()) {
                    throw new IllegalArgumentException(file + ":" + (record.getRecordNumber() + 1) + ": "
                            + record.size() + " values, header has " + header.size());
                }
                return new Row(record.getRecordNumber() + 1, record);
            }
        };
    }

    /** A finite number; empty or NA is missing (NaN). */
    public float number(Row row, int column) {
        String cell = row.get(column);
        if (cell.isEmpty() || cell.equalsIgnoreCase("NA")) {
            return Float.NaN;
        }
        try {
            float f = Float.parseFloat(cell);
            if (Float.isFinite(f)) {
                return f;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(file + ":" + row.line() + ": column " + header.get(column)
                + " is not a finite number: '" + cell + "'");
    }

    /**
     * A 0/1 outcome written as 1/0 in any numeric form ({@code 1.0}, what pandas writes for a float column),
     * yes/no, y/n or true/false, in any case.
     */
    public float label(Row row, int column) {
        String cell = row.get(column).strip();
        switch (cell.toLowerCase(Locale.ROOT)) {
            case "1", "yes", "y", "true" -> {
                return 1f;
            }
            case "0", "no", "n", "false" -> {
                return 0f;
            }
            default -> {
                try {
                    double v = Double.parseDouble(cell);
                    if (v == 0 || v == 1) {
                        return v == 1 ? 1f : 0f;
                    }
                } catch (NumberFormatException e) {
                    // reported below
                }
                throw new IllegalArgumentException(file + ":" + row.line() + ": " + header.get(column)
                        + " must be a binary outcome (1/0, 1.0/0.0, yes/no, y/n or true/false), got '" + cell + "'");
            }
        }
    }

    @Override
    public void close() throws IOException {
        parser.close();
    }
}
