package dev.allot.rules;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Rules are data: every hostile rule set is refused at validation, naming the construct, and nothing it
 * carries runs. Each file of {@code src/test/resources/hostile} says on its first line what the refusal must
 * name; {@code MARKER} in a file stands for a path the payload would create.
 */
class SandboxTest {

    static final Path HOSTILE = HostileRuleSets.DIRECTORY;
    static final String PWNED = HostileRuleSets.PWNED;

    @TempDir
    Path scratch;
    Path marker;

    @BeforeEach
    void marker() {
        marker = scratch.resolve("pwned");
        System.clearProperty(PWNED);
    }

    @AfterEach
    void nothingRan() {
        assertThat(marker).doesNotExist();
        assertThat(System.getProperty(PWNED)).isNull();
    }

    static Stream<HostileRuleSets.Hostile> hostileRuleSets() {
        return HostileRuleSets.load(HOSTILE, Path.of("/nonexistent/marker")).stream();
    }

    @Test
    void theSuiteCoversAtLeastTwentyFiveAttacks() {
        assertThat(hostileRuleSets().count()).isGreaterThanOrEqualTo(25);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hostileRuleSets")
    void refusesTheRuleSetNamingTheConstruct(HostileRuleSets.Hostile hostile) {
        Map<String, String> files = new TreeMap<>(GuardrailRulesTest.shippedSources());
        files.put(hostile.file(), hostile.text().replace("/nonexistent/marker", marker.toString()));

        RuleCompiler.Result result = RuleCompiler.compile(files, GuardrailRulesTest.FIELDS);

        assertThat(result.ok()).as("compiled").isFalse();
        assertThat(result.errors()).as("errors").isNotEmpty()
                .allSatisfy(e -> assertThat(e.file()).isEqualTo(hostile.file()))
                .allSatisfy(e -> assertThat(e.line()).isPositive())
                .anySatisfy(e -> assertThat(e.message()).contains(hostile.expected()));
    }

    @Test
    void withoutTheSandboxTheSamePayloadRuns() throws IOException {
        // Proof that the hostile files are real attacks: built around the sandbox, the file-writing one writes.
        Path planted = scratch.resolve("planted");
        String drl = Files.readString(HOSTILE.resolve("03-write-file.drl")).replace("MARKER", planted.toString());
        RuleSet unsafe = Unsandboxed.compile(Map.of(), "package dev.allot.guardrails;\nimport dev.allot.rules.*;\n"
                + drl.substring(drl.indexOf('\n') + 1).replace("then\n", "then\n    try {\n")
                .replace("\"pwned\");", "\"pwned\"); } catch (java.io.IOException e) { }"));

        unsafe.evaluate(arrival(Map.of()), levels(), new CouponHistory(0, true), new DayTotals(0, 0, 0));

        assertThat(planted).hasContent("pwned");
    }

    @Test
    void refusesAnUndeclaredAttributeInsteadOfNeverFiring() {
        RuleCompiler.Result typo = compile("""
                rule "typo"
                when
                    $v : Verdict()
                    Arrival( isTrue("fraud_rsik") )
                then
                    $v.deny("fraud");
                end
                """);
        assertThat(typo.errors()).singleElement().satisfies(e -> {
            assertThat(e.line()).isEqualTo(4);
            assertThat(e.message()).contains("attribute \"fraud_rsik\" is not declared")
                    .contains("fraud_risk, has_subscription, tier");
        });
    }

    @Test
    void refusesAFeatureTheCityDoesNotDeclareAndABooleanTestOnAString() {
        RuleCompiler.Result result = compile("""
                rule "wrong-fields"
                when
                    $v : Verdict()
                    Arrival( feature("trips_3O") > 10 )
                    Arrival( isTrue("tier") )
                then
                    $v.deny("x");
                end
                """);
        assertThat(result.errors()).extracting(RuleError::message).anySatisfy(m -> assertThat(m)
                .contains("feature \"trips_3O\" is not declared (declared: trips_30d)"));
        assertThat(result.errors()).extracting(RuleError::message).anySatisfy(m -> assertThat(m)
                .contains("isTrue(\"tier\") needs a boolean attribute; tier is a string"));
    }

    @Test
    void reportsTheLineOfAForbiddenStatementInAConsequence() {
        RuleCompiler.Result result = compile("""
                rule "late-payload"
                when
                    $v : Verdict()
                then
                    $v.deny("fine");
                    $v.capMaxLevel(1);
                    System.exit(1);
                end
                """);
        assertThat(result.errors()).singleElement().satisfies(e -> {
            assertThat(e.line()).isEqualTo(7);
            assertThat(e.message()).contains("static call System.exit(...) is not allowed");
        });
    }

    @Test
    void acceptsWhatBusinessRulesNeedAndRunsIt() {
        RuleCompiler.Result result = compile("""
                rule "gold-tier-small-coupons"
                    salience 10
                when
                    $v : Verdict()
                    $a : Arrival( attribute("tier") == "gold" || segment in ("vip", "staff"),
                                  feature("trips_30d") > 20, $segment : segment )
                    LevelCandidate( coupon > 4, $level : level )
                    not CouponHistory( known == false )
                then
                    if ($segment == "vip") {
                        $v.deny("vip: " + $a.getSegment());
                    } else {
                        $v.forbid($level);
                    }
                end

                rule "few-cheap-levels"
                when
                    $v : Verdict()
                    Arrival( campaigns contains "spring-promo", !isTrue("fraud_risk") )
                    $n : Number( intValue < 4 ) from accumulate( LevelCandidate( coupon < 5 ), count(1) )
                    exists LevelCandidate( conversion > 0.5 )
                then
                    $v.capMaxLevel(1);
                end
                """);
        assertThat(result.errors()).isEmpty();
        RuleSet rules = result.ruleSet();
        Arrival gold = new Arrival("demo", "u1", "regular", Map.of("trips_30d", 25.0), Map.of("tier", "gold"),
                Set.of());
        Verdict verdict = rules.evaluate(gold, levels(), new CouponHistory(0, true), new DayTotals(0, 0, 0));
        assertThat(verdict.allowed(0)).containsExactly(true, true, true, false, false, false);

        Arrival promo = new Arrival("demo", "u2", "regular", Map.of(), Map.of(), Set.of("spring-promo"));
        Verdict capped = rules.evaluate(promo, levels(), new CouponHistory(0, true), new DayTotals(0, 0, 0));
        assertThat(capped.reasons()).containsExactly(new Reason("few-cheap-levels", "maxLevel=1"));
    }

    @Test
    void factImportsAreOptionalAndHarmless() {
        RuleCompiler.Result withImports = compile("""
                package dev.allot.guardrails;
                import dev.allot.rules.Verdict;
                import dev.allot.rules.Arrival;
                rule "imports"
                when
                    $v : Verdict()
                    Arrival( segment == "x" )
                then
                    $v.deny("x");
                end
                """);
        assertThat(withImports.errors()).isEmpty();
    }

    @Test
    void aSetWithManyLevelJoinsIsRefusedSinceMatchingIsNotBoundedByFirings() {
        StringBuilder drl = new StringBuilder();
        for (int i = 0; i <= RuleCompiler.MAX_JOIN_RULES; i++) {
            drl.append("rule \"join-").append(i).append("\"\nwhen\n    LevelCandidate( $a : level )\n")
                    .append("    LevelCandidate( level > $a, coupon > ").append(i).append(" )\nthen\n")
                    .append("    $v.capMaxLevel(5);\nend\n");
        }
        assertThat(compile(drl.toString()).errors()).singleElement().satisfies(e -> assertThat(e.message())
                .contains((RuleCompiler.MAX_JOIN_RULES + 1) + " rules join several LevelCandidate patterns"));
    }

    @Test
    void aFileNestedTooDeeplyIsRefusedNotAFailureOfTheService() {
        String deep = "(".repeat(20_000) + "1" + ")".repeat(20_000);
        RuleCompiler.Result result = compile("rule \"deep\"\nwhen\n    Arrival( " + deep + " > 0 )\nthen\n"
                + "    $v.deny(\"x\");\nend\n");
        assertThat(result.ok()).isFalse();
        assertThat(result.errors()).isNotEmpty();
    }

    @Test
    void aNulCharacterIsRefusedSoTwoSetsOfFilesNeverShareAVersion() {
        String rule = "rule \"r\"\nwhen\n    Arrival( segment == \"x\" )\nthen\n    $v.deny(\"x\");\nend\n";
        assertThat(RuleCompiler.compile(Map.of("a.drl", rule + "//\0b.drl\0"), GuardrailRulesTest.FIELDS).errors())
                .singleElement().satisfies(e -> assertThat(e.message()).contains("NUL"));
        assertThat(RuleCompiler.digest(new TreeMap<>(Map.of("a.drl", "x", "b.drl", "y"))))
                .isNotEqualTo(RuleCompiler.digest(new TreeMap<>(Map.of("a.drl", "x\0b.drl\0y"))))
                .hasSize("rules-".length() + 32);
    }

    private static RuleCompiler.Result compile(String drl) {
        return RuleCompiler.compile(Map.of("rules.drl", drl), GuardrailRulesTest.FIELDS);
    }

    private static Arrival arrival(Map<String, Object> attributes) {
        return new Arrival("demo", "u", "regular", Map.of(), attributes, Set.of());
    }

    private static List<LevelCandidate> levels() {
        List<LevelCandidate> levels = new ArrayList<>();
        double[] coupons = {0, 2, 4, 6, 8, 10};
        for (int j = 0; j < coupons.length; j++) {
            levels.add(new LevelCandidate(j, coupons[j], 18 - coupons[j], 0.3 + 0.05 * j));
        }
        return levels;
    }
}
