package dev.allot.rules;

import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.apache.poi.ss.usermodel.Row;
import org.apache.poi.ss.usermodel.Sheet;
import org.apache.poi.xssf.usermodel.XSSFWorkbook;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** The business formats: JSON rules and decision tables, compiled through the sandbox. */
class FormatsTest {

    static final String CAPS_TABLE = """
            RuleSet,dev.allot.guardrails
            Notes,Fairness caps by segment
            RuleTable Segment caps,,
            NAME,CONDITION,ACTION
            ,Arrival,
            ,"segment == ""$param""\",$v.capMaxLevel($param);
            Rule,Segment,Highest level
            cap-high-frequency,high_frequency,2
            cap-medium-frequency,medium_frequency,4
            """;

    @Test
    void theShippedJsonRulesDecideLikeTheDrlTheyReplaceOnTenThousandArrivals() {
        RuleSet json = RuleCompiler.compile(GuardrailRulesTest.shippedSources(), GuardrailRulesTest.FIELDS)
                .ruleSet();
        RuleSet drl = RuleCompiler.compile(GuardrailRulesTest.referenceDrl(), GuardrailRulesTest.FIELDS).ruleSet();
        assertThat(GuardrailRulesTest.shippedSources().keySet()).allMatch(f -> f.endsWith(".json"));
        assertThat(json.ruleCount()).isEqualTo(drl.ruleCount()).isEqualTo(7);

        SplittableRandom random = new SplittableRandom(42);
        String[] segments = {"new", "low_frequency", "medium_frequency", "high_frequency", "churned", "unknown", ""};
        Set<String> rulesThatActed = new HashSet<>();
        int restricted = 0;
        for (int i = 0; i < 10_000; i++) {
            Map<String, Object> attributes = new HashMap<>();
            if (random.nextInt(10) == 0) {
                attributes.put("fraud_risk", random.nextBoolean());
            }
            if (random.nextInt(10) == 0) {
                attributes.put("has_subscription", random.nextInt(3) == 0 ? "yes" : random.nextBoolean());
            }
            Set<String> campaigns = new HashSet<>();
            if (random.nextInt(8) == 0) {
                campaigns.add("spring-promo");
            }
            if (random.nextInt(20) == 0) {
                campaigns.add("vip-exclusive");
            }
            Arrival arrival = new Arrival("demo", "u" + i, segments[random.nextInt(segments.length)], Map.of(),
                    attributes, campaigns);
            CouponHistory history = new CouponHistory(random.nextInt(6), random.nextInt(10) != 0);
            double spend = random.nextInt(4) == 0 ? random.nextDouble(0, 50) : random.nextDouble(50, 500);
            DayTotals totals = new DayTotals(random.nextInt(1000), spend, spend * random.nextDouble());
            List<LevelCandidate> levels = levels(random);

            Verdict a = json.evaluate(arrival, levels, history, totals);
            Verdict b = drl.evaluate(arrival, levels, history, totals);

            assertThat(a.allowed(0)).as("arrival %d", i).containsExactly(b.allowed(0));
            assertThat(a.reasons()).as("arrival %d", i).containsExactlyInAnyOrderElementsOf(b.reasons());
            a.reasons().forEach(r -> rulesThatActed.add(r.rule()));
            restricted += a.reasons().isEmpty() ? 0 : 1;
        }
        // The comparison means something only if every rule acted on some arrivals and most were left alone.
        assertThat(rulesThatActed).hasSize(7);
        assertThat(restricted).isBetween(2_000, 8_000);
    }

    @Test
    void jsonErrorsPointAtTheirLineAndColumnAndNameTheField() {
        String json = """
                { "rules": [
                    { "name": "a",
                      "when": [ { "field": "attribute.tier", "op": ">", "value": "gold" } ],
                      "then": { "action": "deny", "reason": "x" } },
                    { "name": "b",
                      "when": [ { "field": "feature.trips_30d", "op": ">", "value": "many" } ],
                      "then": { "action": "capMaxLevel", "level": -1 } },
                    { "name": "a", "wen": [], "then": { "action": "forbid" } }
                ] }
                """;
        List<RuleError> errors = RuleCompiler.compile(Map.of("rules.json", json), GuardrailRulesTest.FIELDS).errors();

        assertThat(errors).extracting(RuleError::toString).containsExactly(
                "rules.json:3:52: rules[0].when[0].op: op for attribute.tier must be one of !=, ==, endsWith, in,"
                        + " not in, startsWith",
                "rules.json:6:69: rules[1].when[0].value: a number is expected",
                "rules.json:7:51: rules[1].then.level: capMaxLevel needs a level: a whole number from 0",
                "rules.json:8:27: rules[2].wen: unknown key \"wen\" (expected: description, name, then, when)",
                "rules.json:8:15: rules[2].name: another rule is already named \"a\"",
                "rules.json:8:5: rules[2]: \"when\" must be a list of conditions (an empty list matches every"
                        + " arrival)",
                "rules.json:8:39: rules[2].then: forbid without a level forbids the levels the conditions match: add"
                        + " a level.* condition, or give \"level\"");
    }

    @Test
    void aJsonReasonIsTextWhateverItSays() {
        String reason = "\\\"); System.setProperty(\\\"" + HostileRuleSets.PWNED + "\\\", \\\"yes\\\"); (\\\"";
        String json = """
                { "rules": [ { "name": "quoted", "when": [], "then": { "action": "deny", "reason": "%s" } } ] }
                """.formatted(reason);
        RuleSet rules = RuleCompiler.compile(Map.of("r.json", json), GuardrailRulesTest.FIELDS).ruleSet();

        Verdict verdict = rules.evaluate(new Arrival("demo", "u", "s", Map.of(), Map.of(), Set.of()),
                levels(new SplittableRandom(1)), new CouponHistory(0, true), new DayTotals(0, 0, 0));

        assertThat(verdict.reasons()).containsExactly(new Reason("quoted", "deny: \"); System.setProperty(\""
                + HostileRuleSets.PWNED + "\", \"yes\"); (\""));
        assertThat(System.getProperty(HostileRuleSets.PWNED)).isNull();
    }

    @Test
    void aCsvDecisionTableCompilesThroughTheSandboxAndCaps() {
        RuleSet rules = RuleCompiler.compile(Map.of("caps.csv", CAPS_TABLE), GuardrailRulesTest.FIELDS).ruleSet();
        assertCaps(rules);
    }

    @Test
    void theSameTableAsAnXlsxWorkbookDecidesTheSame() {
        String workbook = Base64.getEncoder().encodeToString(xlsx(CAPS_TABLE));
        RuleCompiler.Result result = RuleCompiler.compile(Map.of("caps.xlsx", workbook), GuardrailRulesTest.FIELDS);
        assertThat(result.errors()).isEmpty();
        assertCaps(result.ruleSet());
    }

    static Stream<HostileRuleSets.Hostile> hostileTables() {
        return HostileRuleSets.load(HostileRuleSets.DIRECTORY, Path.of("/nonexistent/marker")).stream()
                .filter(h -> h.file().endsWith(".csv"));
    }

    @ParameterizedTest(name = "{0} as xlsx")
    @MethodSource("hostileTables")
    void aHostileTableIsRefusedAsAWorkbookTooAtItsRow(HostileRuleSets.Hostile table) {
        String name = table.file().replace(".csv", ".xlsx");
        String workbook = Base64.getEncoder().encodeToString(xlsx(table.text()));

        List<RuleError> errors = RuleCompiler.compile(Map.of(name, workbook), GuardrailRulesTest.FIELDS).errors();

        assertThat(errors).isNotEmpty().allSatisfy(e -> assertThat(e.file()).isEqualTo(name))
                .anySatisfy(e -> assertThat(e.message()).contains(table.expected()));
        assertThat(System.getProperty(HostileRuleSets.PWNED)).isNull();
    }

    @Test
    void aTableErrorNamesTheRowOfTheOffendingRule() {
        String table = CAPS_TABLE.replace("cap-medium-frequency,medium_frequency,4",
                "cap-medium-frequency,medium_frequency,\"4); java.lang.System.exit(1\"");
        List<RuleError> errors = RuleCompiler.compile(Map.of("caps.csv", table), GuardrailRulesTest.FIELDS).errors();
        assertThat(errors).singleElement().satisfies(e -> {
            assertThat(e.line()).isEqualTo(9);
            assertThat(e.message()).startsWith("row 9: ").contains("static call java.lang.System.exit(...)");
        });
    }

    @Test
    void prefixAndSuffixConditionsKeepWorkingOnceDroolsCompilesThemToBytecode() {
        // Drools turns a constraint into bytecode after 20 evaluations; its str[...] operator then fails with a
        // NoSuchMethodError in 10.2.0, which is why the JSON format does not generate it.
        RuleSet rules = RuleCompiler.compile(Map.of("staff.json", """
                { "rules": [ { "name": "deny-staff",
                    "when": [ { "field": "userId", "op": "startsWith", "value": "staff-" },
                              { "field": "segment", "op": "endsWith", "value": "_frequency" } ],
                    "then": { "action": "deny", "reason": "staff" } } ] }
                """), GuardrailRulesTest.FIELDS).ruleSet();
        for (int i = 0; i < 200; i++) {
            boolean staff = i % 2 == 0;
            Verdict v = rules.evaluate(new Arrival("demo", (staff ? "staff-" : "user-") + i, "high_frequency",
                    Map.of(), Map.of(), Set.of()), levels(new SplittableRandom(i)), new CouponHistory(0, true),
                    new DayTotals(0, 0, 0));
            assertThat(v.isDenied()).as("arrival %d", i).isEqualTo(staff);
        }
    }

    private static void assertCaps(RuleSet rules) {
        Verdict high = rules.evaluate(new Arrival("demo", "u", "high_frequency", Map.of(), Map.of(), Set.of()),
                levels(new SplittableRandom(3)), new CouponHistory(0, true), new DayTotals(0, 0, 0));
        assertThat(high.reasons()).containsExactly(new Reason("cap-high-frequency", "maxLevel=2"));
        Verdict medium = rules.evaluate(new Arrival("demo", "u", "medium_frequency", Map.of(), Map.of(), Set.of()),
                levels(new SplittableRandom(3)), new CouponHistory(0, true), new DayTotals(0, 0, 0));
        assertThat(medium.allowed(0)).containsExactly(true, true, true, true, true, false);
    }

    /** The CSV table as an XLSX workbook, cell for cell, as a business user's spreadsheet would hold it. */
    static byte[] xlsx(String csv) {
        try (XSSFWorkbook workbook = new XSSFWorkbook();
             CSVParser parser = CSVParser.parse(new StringReader(csv), CSVFormat.DEFAULT);
             ByteArrayOutputStream out = new ByteArrayOutputStream()) {
            Sheet sheet = workbook.createSheet("Tables");
            int r = 0;
            for (CSVRecord record : parser) {
                Row row = sheet.createRow(r++);
                for (int c = 0; c < record.size(); c++) {
                    if (!record.get(c).isEmpty()) {
                        row.createCell(c).setCellValue(record.get(c));
                    }
                }
            }
            workbook.write(out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<LevelCandidate> levels(SplittableRandom random) {
        List<LevelCandidate> levels = new ArrayList<>();
        double[] coupons = {0, 2, 4, 6, 8, 10};
        for (int j = 0; j < coupons.length; j++) {
            levels.add(new LevelCandidate(j, coupons[j], 18 - coupons[j], random.nextDouble(0.2, 0.8)));
        }
        return levels;
    }
}
