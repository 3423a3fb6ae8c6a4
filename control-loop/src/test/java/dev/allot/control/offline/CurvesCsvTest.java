package dev.allot.control.offline;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class CurvesCsvTest {

    @Test
    void readsEveryRowInOrderAcrossThreadsAndRepairsNonMonotoneCurves(@TempDir Path dir) throws IOException {
        SplittableRandom random = new SplittableRandom(4);
        StringBuilder csv = new StringBuilder("id,r_0,r_1,r_2\n");
        int rows = 10_001;
        double[][] expected = new double[rows][3];
        for (int i = 0; i < rows; i++) {
            double a = random.nextDouble() * 0.5;
            double b = a + random.nextDouble() * 0.2;
            double c = b + random.nextDouble() * 0.2;
            expected[i] = new double[]{a, b, c};
            csv.append("u").append(i).append(',').append(a).append(',').append(b).append(',').append(c)
                    .append(i % 3 == 0 ? "\r\n" : "\n");
        }
        csv.append("bad-order,0.5,0.3,0.6\n");
        Path file = dir.resolve("curves.csv");
        Files.writeString(file, csv);
        for (int threads : new int[]{1, 2, 7}) {
            CurvesCsv.Read read = CurvesCsv.read(file, 3, threads);
            assertThat(read.population().arrivals()).isEqualTo(rows + 1);
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < 3; j++) {
                    assertThat(read.population().r()[i * 3 + j]).isEqualTo(expected[i][j]);
                }
            }
            assertThat(read.repairedCurves()).isEqualTo(1);
            int last = rows * 3;
            assertThat(read.population().r()[last]).isCloseTo(0.4, within(1e-12));
            assertThat(read.population().r()[last + 1]).isCloseTo(0.4, within(1e-12));
        }
    }

    @Test
    void namesTheLineAndColumnOfABadValue(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("bad.csv");
        Files.writeString(file, "id,r_0,r_1\na,0.1,0.2\nb,0.1,1.5\n");
        assertThatThrownBy(() -> CurvesCsv.read(file, 2, 2)).hasMessageContaining("bad.csv:3")
                .hasMessageContaining("column 3").hasMessageContaining("probability");
        Files.writeString(file, "id,r_0,r_1\na,0.1,x\n");
        assertThatThrownBy(() -> CurvesCsv.read(file, 2, 1)).hasMessageContaining("bad.csv:2")
                .hasMessageContaining("not a number");
        Files.writeString(file, "id,r_0,r_1\na,0.1\n");
        assertThatThrownBy(() -> CurvesCsv.read(file, 2, 1)).hasMessageContaining("bad.csv:2");
        Files.writeString(file, "id,r_0,r_1\na,0.1,0.2,0.3\n");
        assertThatThrownBy(() -> CurvesCsv.read(file, 2, 1)).hasMessageContaining("bad.csv:2");
        Files.writeString(file, "id,r_0\na,0.1\n");
        assertThatThrownBy(() -> CurvesCsv.read(file, 2, 1)).hasMessageContaining("bad.csv:1")
                .hasMessageContaining("header");
    }
}
