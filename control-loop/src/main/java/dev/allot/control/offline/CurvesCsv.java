package dev.allot.control.offline;

import ch.randelshofer.fastdoubleparser.JavaDoubleParser;
import dev.allot.scoring.Isotonic;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Reads a curves CSV, {@code id,r_0,...,r_{K-1}} with a header line, into a {@link Population}: calibrated
 * purchase probabilities per arrival, coupons ascending. Built for days of millions of arrivals: the file is
 * memory-mapped (off the heap), split at line boundaries across the cores, counted, then parsed straight
 * into one array. A curve that is not non-decreasing is calibrated (isotonic) and counted; a value that is
 * not a probability is an error naming its line.
 */
public final class CurvesCsv {

    /** The population and how many curves had to be made monotone. */
    public record Read(Population population, long repairedCurves) {
    }

    private static final long MAX_SEGMENT = Integer.MAX_VALUE - 8;

    private CurvesCsv() {
    }

    public static Read read(Path file, int levels, int threads) {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long length = channel.size();
            if (length > MAX_SEGMENT) {
                throw new IllegalArgumentException(file + " is " + length + " bytes; split files above 2 GB");
            }
            int size = (int) length;
            MappedByteBuffer bytes = channel.map(FileChannel.MapMode.READ_ONLY, 0, size);
            int dataStart = headerEnd(bytes, size, levels, file);
            int[] bounds = split(bytes, dataStart, size, Math.max(1, threads));
            int parts = bounds.length - 1;
            ExecutorService pool = Executors.newFixedThreadPool(parts);
            try {
                List<Future<long[]>> counted = new ArrayList<>();
                for (int p = 0; p < parts; p++) {
                    int from = bounds[p];
                    int to = bounds[p + 1];
                    counted.add(pool.submit(() -> countLines(bytes, from, to)));
                }
                long[] firstRow = new long[parts + 1];
                long[] firstLine = new long[parts + 1];
                firstLine[0] = 2;
                for (int p = 0; p < parts; p++) {
                    long[] c = counted.get(p).get();
                    firstRow[p + 1] = firstRow[p] + c[0];
                    firstLine[p + 1] = firstLine[p] + c[1];
                }
                long rows = firstRow[parts];
                if (rows * levels > Integer.MAX_VALUE - 8) {
                    throw new IllegalArgumentException(file + ": " + rows + " rows x " + levels
                            + " levels do not fit one array");
                }
                double[] r = new double[(int) (rows * levels)];
                List<Future<Long>> parsed = new ArrayList<>();
                for (int p = 0; p < parts; p++) {
                    int from = bounds[p];
                    int to = bounds[p + 1];
                    int row = (int) firstRow[p];
                    long line = firstLine[p];
                    parsed.add(pool.submit(() -> parse(bytes.duplicate(), from, to, row, levels, r, file, line)));
                }
                long repaired = 0;
                for (Future<Long> f : parsed) {
                    repaired += f.get();
                }
                return new Read(new Population(r, (int) rows, levels), repaired);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof IllegalArgumentException iae) {
                    throw iae;
                }
                throw new IllegalStateException(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            } finally {
                pool.shutdownNow();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static int headerEnd(ByteBuffer bytes, int size, int levels, Path file) {
        int i = 0;
        StringBuilder header = new StringBuilder();
        while (i < size && bytes.get(i) != '\n') {
            header.append((char) bytes.get(i));
            i++;
        }
        String[] columns = header.toString().strip().split(",");
        if (columns.length != levels + 1) {
            throw new IllegalArgumentException(file + ":1: header has " + columns.length + " columns, expected id and "
                    + levels + " probabilities (id,r_0,...,r_" + (levels - 1) + ")");
        }
        return Math.min(size, i + 1);
    }

    private static int[] split(ByteBuffer bytes, int start, int end, int parts) {
        int[] bounds = new int[parts + 1];
        bounds[0] = start;
        for (int p = 1; p < parts; p++) {
            int at = (int) Math.max(bounds[p - 1], start + (long) (end - start) * p / parts);
            while (at < end && at > start && bytes.get(at - 1) != '\n') {
                at++;
            }
            bounds[p] = at;
        }
        bounds[parts] = end;
        return bounds;
    }

    /** Rows (non-empty lines) and newlines in {@code [from, to)}. */
    private static long[] countLines(ByteBuffer bytes, int from, int to) {
        long rows = 0;
        long newlines = 0;
        boolean content = false;
        for (int i = from; i < to; i++) {
            byte b = bytes.get(i);
            if (b == '\n') {
                newlines++;
                rows += content ? 1 : 0;
                content = false;
            } else if (b != '\r') {
                content = true;
            }
        }
        return new long[]{rows + (content ? 1 : 0), newlines};
    }

    private static long parse(ByteBuffer bytes, int from, int to, int firstRow, int levels, double[] r, Path file,
                              long firstLine) {
        byte[] field = new byte[64];
        double[] curve = new double[levels];
        int row = firstRow;
        long line = firstLine;
        long repaired = 0;
        int i = from;
        while (i < to) {
            int lineStart = i;
            while (i < to && bytes.get(i) != ',' && bytes.get(i) != '\n') {
                i++;
            }
            if (i >= to || bytes.get(i) == '\n') {
                if (i > lineStart && !(i - lineStart == 1 && bytes.get(lineStart) == '\r')) {
                    throw new IllegalArgumentException(file + ":" + line + ": expected id and " + levels
                            + " probabilities");
                }
                i++;
                line++;
                continue;
            }
            i++;
            for (int j = 0; j < levels; j++) {
                int len = 0;
                while (i < to) {
                    byte b = bytes.get(i);
                    if (b == ',' || b == '\n' || b == '\r') {
                        break;
                    }
                    if (len == field.length) {
                        throw new IllegalArgumentException(file + ":" + line + ": value too long in column " + (j + 2));
                    }
                    field[len++] = b;
                    i++;
                }
                boolean last = j == levels - 1;
                byte sep = i < to ? bytes.get(i) : (byte) '\n';
                if (last ? sep == ',' : sep != ',') {
                    throw new IllegalArgumentException(file + ":" + line + ": expected " + levels
                            + " probabilities after the id");
                }
                double value;
                try {
                    value = JavaDoubleParser.parseDouble(field, 0, len);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(file + ":" + line + ": column " + (j + 2) + " is not a number: '"
                            + new String(field, 0, len, java.nio.charset.StandardCharsets.US_ASCII) + "'");
                }
                if (!(value >= 0 && value <= 1)) {
                    throw new IllegalArgumentException(file + ":" + line + ": column " + (j + 2)
                            + " must be a probability in [0, 1], got " + value);
                }
                curve[j] = value;
                if (!last) {
                    i++;
                }
            }
            while (i < to && bytes.get(i) != '\n') {
                i++;
            }
            i++;
            if (Isotonic.fit(curve, curve, levels) > 0) {
                repaired++;
            }
            System.arraycopy(curve, 0, r, row * levels, levels);
            row++;
            line++;
        }
        return repaired;
    }
}
