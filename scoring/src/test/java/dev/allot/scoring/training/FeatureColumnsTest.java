package dev.allot.scoring.training;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FeatureColumnsTest {

    private static float[] read(FeatureColumns columns, String... cells) {
        float[] values = new float[cells.length];
        for (int i = 0; i < cells.length; i++) {
            values[i] = columns.encode(0, cells[i]);
        }
        return values;
    }

    @Test
    void codesTextInLexicalOrderAndReadsYesNoAsOneZero() {
        FeatureColumns band = new FeatureColumns(List.of("band"), Map.of());
        float[] values = read(band, "3_high", "1_low", "2_mid", "", "1_low");
        assertThat(band.finish(values, 5, "remedy")).containsEntry("band", Map.of("1_low", 0, "2_mid", 1, "3_high", 2));
        assertThat(values).containsExactly(2f, 0f, 1f, Float.NaN, 0f);
        FeatureColumns flag = new FeatureColumns(List.of("flag"), Map.of());
        assertThat(read(flag, "Yes", "no", "TRUE", "NA", "0.5")).containsExactly(1f, 0f, 1f, Float.NaN, 0.5f);
    }

    @Test
    void codesTextInADeclaredOrderAndRefusesAValueItDoesNotName() {
        Map<String, List<String>> orders = FeatureColumns.parseOrders(List.of("size=small, medium,large"));
        FeatureColumns size = new FeatureColumns(List.of("size"), orders);
        float[] values = read(size, "large", "small", "medium");
        assertThat(size.finish(values, 3, "remedy").get("size")).containsExactly(Map.entry("small", 0),
                Map.entry("medium", 1), Map.entry("large", 2));
        assertThat(values).containsExactly(2f, 0f, 1f);

        FeatureColumns odd = new FeatureColumns(List.of("size"), orders);
        float[] more = read(odd, "large", "huge");
        assertThatThrownBy(() -> odd.finish(more, 2, "remedy"))
                .hasMessage("--category-order size: value 'huge' is not one of small, medium, large");
        assertThatThrownBy(() -> new FeatureColumns(List.of("size"), Map.of("colour", List.of("red"))))
                .hasMessage("--category-order names colour, which is not a feature");
        assertThatThrownBy(() -> FeatureColumns.parseOrders(List.of("size")))
                .hasMessage("--category-order takes column=first,second,..., got 'size'");
        assertThatThrownBy(() -> FeatureColumns.parseOrders(List.of("size=s,m,s")))
                .hasMessage("--category-order size names 's' twice");
    }

    @Test
    void refusesAColumnMixingNumbersAndText() {
        FeatureColumns mixed = new FeatureColumns(List.of("band"), Map.of());
        float[] values = read(mixed, "3", "low", "yes");
        assertThatThrownBy(() -> mixed.finish(values, 3, "remedy"))
                .hasMessage("--features column band holds both numbers and text (such as 'low'): give it one kind");
        FeatureColumns infinite = new FeatureColumns(List.of("x"), Map.of());
        assertThatThrownBy(() -> infinite.encode(0, "Infinity")).hasMessage("feature x is not a finite number:"
                + " 'Infinity'");
    }

    @Test
    void refusesColumnsThatIdentifyUnits() {
        int rows = 2_000;
        FeatureColumns ids = new FeatureColumns(List.of("customer"), Map.of());
        float[] text = new float[rows];
        for (int i = 0; i < rows; i++) {
            text[i] = ids.encode(0, "c-" + i);
        }
        assertThatThrownBy(() -> ids.finish(text, rows, "leave it out of --features"))
                .hasMessage("--features column customer holds 2000 different values in 2000 rows: it identifies"
                        + " units rather than describing them; leave it out of --features");
        FeatureColumns numbers = new FeatureColumns(List.of("account"), Map.of());
        float[] whole = new float[rows];
        for (int i = 0; i < rows; i++) {
            whole[i] = numbers.encode(0, Integer.toString(10_000 + 7 * i));
        }
        assertThatThrownBy(() -> numbers.finish(whole, rows, "add it to --deny"))
                .hasMessage("--features column account holds 2000 different whole numbers in 2000 rows: it identifies"
                        + " units rather than describing them; add it to --deny");
        FeatureColumns days = new FeatureColumns(List.of("days"), Map.of());
        float[] since = new float[rows];
        java.util.SplittableRandom random = new java.util.SplittableRandom(3);
        for (int i = 0; i < rows; i++) {
            since[i] = days.encode(0, Integer.toString(random.nextInt(3_000)));
        }
        assertThat(days.finish(since, rows, "remedy")).as("days since signing up take many values").isEmpty();
        FeatureColumns years = new FeatureColumns(List.of("yob"), Map.of());
        float[] born = new float[rows];
        for (int i = 0; i < rows; i++) {
            born[i] = years.encode(0, Integer.toString(1920 + i % 80));
        }
        assertThat(years.finish(born, rows, "remedy")).as("a year of birth repeats").isEmpty();
        FeatureColumns amounts = new FeatureColumns(List.of("history"), Map.of());
        float[] decimals = new float[rows];
        for (int i = 0; i < rows; i++) {
            decimals[i] = amounts.encode(0, (100 + i) + ".25");
        }
        assertThat(amounts.finish(decimals, rows, "remedy")).as("distinct amounts are not identifiers").isEmpty();
    }
}
