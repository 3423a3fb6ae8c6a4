package dev.allot.bench;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Writes a curves CSV ({@code id,r_0,...,r_5}) for the solve-lambda benchmark: each arrival's purchase
 * probability is {@code sigmoid(base + sensitivity * coupon)} over the demo ladder (0..10 step 2), with base
 * and sensitivity drawn as in the paper's appendix (normal and log-normal), rounded to 6 decimals.
 *
 * <p>{@code java -cp benchmarks/target/benchmarks.jar dev.allot.bench.CurvesGenerator OUT ROWS [SEED]}
 */
public final class CurvesGenerator {

    private CurvesGenerator() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 2) {
            System.err.println("usage: CurvesGenerator OUT ROWS [SEED]");
            System.exit(2);
        }
        Path out = Path.of(args[0]);
        long rows = Long.parseLong(args[1]);
        SplittableRandom random = new SplittableRandom(args.length > 2 ? Long.parseLong(args[2]) : 1);
        double[] coupons = {0, 2, 4, 6, 8, 10};
        StringBuilder line = new StringBuilder(96);
        try (BufferedWriter w = Files.newBufferedWriter(out, StandardCharsets.US_ASCII)) {
            w.write("id,r_0,r_1,r_2,r_3,r_4,r_5\n");
            for (long i = 0; i < rows; i++) {
                double base = -2.0 + 0.8 * gaussian(random);
                double sensitivity = 0.12 * Math.exp(0.5 * gaussian(random));
                line.setLength(0);
                line.append(i);
                for (double d : coupons) {
                    double r = 1 / (1 + Math.exp(-(base + sensitivity * d)));
                    line.append(',').append(Math.round(r * 1e6) / 1e6);
                }
                w.write(line.append('\n').toString());
            }
        }
    }

    private static double gaussian(SplittableRandom random) {
        double u1 = 1 - random.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * random.nextDouble());
    }
}
