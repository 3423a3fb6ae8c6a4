package dev.allot.scoring;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CsvTableTest {

    @TempDir
    Path dir;

    private List<Float> labels(String... cells) throws IOException {
        Path file = dir.resolve("labels.csv");
        Files.writeString(file, "converted\n" + String.join("\n", cells) + "\n");
        List<Float> out = new ArrayList<>();
        try (CsvTable csv = CsvTable.open(file)) {
            for (CsvTable.Row row : csv) {
                out.add(csv.label(row, 0));
            }
        }
        return out;
    }

    @Test
    void readsBinaryOutcomesInEveryCommonEncoding() throws IOException {
        assertThat(labels("1", "0", "1.0", "0.0", "1.00", "-0.0", "Yes", "no", "Y", "n", "TRUE", "false", " 1 "))
                .containsExactly(1f, 0f, 1f, 0f, 1f, 0f, 1f, 0f, 1f, 0f, 1f, 0f, 1f);
    }

    @Test
    void refusesAnOutcomeThatIsNotBinaryNamingItsLineAndColumn() {
        assertThatThrownBy(() -> labels("1", "29.99"))
                .hasMessageEndingWith("labels.csv:3: converted must be a binary outcome (1/0, 1.0/0.0, yes/no, y/n or"
                        + " true/false), got '29.99'");
    }
}
