package dev.allot.rules;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The default rule files, compiled by real Drools. */
class GuardrailRulesTest {

    static final Path SHIPPED = Path.of("guardrails");
    /** What the demo city declares for its rules. */
    static final RuleVocabulary FIELDS = new RuleVocabulary(Map.of("fraud_risk", RuleVocabulary.Type.BOOLEAN,
            "has_subscription", RuleVocabulary.Type.BOOLEAN, "tier", RuleVocabulary.Type.STRING),
            Set.of("trips_30d"));
    private static final double[] COUPONS = {0, 2, 4, 6, 8, 10};
    private static RuleSet rules;

    @BeforeAll
    static void compileShippedRules() {
        GuardrailRules repository = new GuardrailRules(SHIPPED, FIELDS);
        GuardrailRules.LoadResult result = repository.reloadIfChanged();
        assertThat(result.errors()).isEmpty();
        rules = repository.active().orElseThrow();
    }

    @Test
    void capsLevelForHighFrequencySegment() {
        Verdict v = evaluate(arrival("high_frequency", Map.of(), Set.of()), history(0), totals(0, 0));
        assertThat(v.allowed(0)).containsExactly(true, true, true, false, false, false);
        assertThat(v.reasons()).containsExactly(new Reason("cap-high-frequency", "maxLevel=2"));
    }

    @Test
    void leavesAnOrdinaryArrivalUntouched() {
        Verdict v = evaluate(arrival("low_frequency", Map.of(), Set.of()), history(1), totals(100, 10));
        assertThat(v.allowed(0)).containsOnly(true);
        assertThat(v.reasons()).isEmpty();
    }

    @Test
    void deniesCouponsToFraudRiskAndSubscribers() {
        Verdict fraud = evaluate(arrival("new", Map.of("fraud_risk", true), Set.of()), history(0), totals(0, 0));
        assertThat(fraud.allowed(0)).containsExactly(true, false, false, false, false, false);
        assertThat(fraud.reasons()).extracting(Reason::rule).containsExactly("no-coupon-fraud-risk");
        Verdict sub = evaluate(arrival("new", Map.of("has_subscription", true, "fraud_risk", false), Set.of()),
                history(0), totals(0, 0));
        assertThat(sub.reasons()).extracting(Reason::rule).containsExactly("no-coupon-subscriber");
    }

    @Test
    void limitsCouponsPerUserPerWeekOnlyWhenTheHistoryIsKnown() {
        Verdict limited = evaluate(arrival("low_frequency", Map.of(), Set.of()), history(3), totals(0, 0));
        assertThat(limited.isDenied()).isTrue();
        assertThat(limited.reasons()).extracting(Reason::rule).containsExactly("weekly-coupon-limit");
        Verdict unknown = evaluate(arrival("low_frequency", Map.of(), Set.of()), new CouponHistory(0, false),
                totals(0, 0));
        assertThat(unknown.isDenied()).isFalse();
    }

    @Test
    void capsASegmentThatTakesTooMuchOfTheDaysSpend() {
        Verdict v = evaluate(arrival("new", Map.of(), Set.of()), history(0), totals(100, 70));
        assertThat(v.allowed(0)).containsExactly(true, true, false, false, false, false);
        assertThat(v.reasons()).containsExactly(new Reason("segment-spend-share", "maxLevel=1"));
        assertThat(evaluate(arrival("new", Map.of(), Set.of()), history(0), totals(40, 39)).reasons()).isEmpty();
        // Arrivals without a segment share one bucket that is not a segment to be fair to.
        assertThat(evaluate(arrival("unknown", Map.of(), Set.of()), history(0), totals(100, 100)).reasons())
                .isEmpty();
    }

    @Test
    void keepsTheCombinedDiscountUnderItsCeiling() {
        Verdict v = evaluate(arrival("low_frequency", Map.of(), Set.of("spring-promo")), history(0), totals(0, 0));
        assertThat(v.allowed(0)).containsExactly(true, true, true, true, false, false);
        assertThat(v.reasons()).containsExactly(new Reason("combined-discount-ceiling", "forbidden=4,5"));
        Verdict exclusive = evaluate(arrival("low_frequency", Map.of(), Set.of("vip-exclusive")), history(0),
                totals(0, 0));
        assertThat(exclusive.isDenied()).isTrue();
    }

    @Test
    void givesEachOfManyThreadsEvaluatingAtOnceTheVerdictItGetsAlone() throws Exception {
        // The set's sessions are single-threaded (Drools' locks off): the pool must never hand one to two threads.
        String[] segments = {"new", "low_frequency", "high_frequency", "churned"};
        List<Callable<String>> arrivals = new ArrayList<>();
        for (int i = 0; i < 4_000; i++) {
            Arrival arrival = arrival(segments[i % segments.length], Map.of("fraud_risk", i % 7 == 0),
                    i % 5 == 0 ? Set.of("spring-promo") : Set.of());
            CouponHistory history = history(i % 4);
            DayTotals totals = totals(100, i % 9 * 10);
            arrivals.add(() -> describe(evaluate(arrival, history, totals)));
        }
        List<String> alone = new ArrayList<>();
        for (Callable<String> arrival : arrivals) {
            alone.add(arrival.call());
        }

        ExecutorService threads = Executors.newFixedThreadPool(8);
        try {
            List<String> together = new ArrayList<>();
            for (Future<String> verdict : threads.invokeAll(arrivals)) {
                together.add(verdict.get());
            }
            assertThat(together).isEqualTo(alone);
            // Arrivals whose verdicts differ, so a session carrying one arrival's facts into another's shows.
            assertThat(new HashSet<>(alone)).hasSizeGreaterThan(3);
        } finally {
            threads.shutdownNow();
        }
    }

    private static String describe(Verdict v) {
        return Arrays.toString(v.allowed(0)) + v.isDenied() + v.reasons();
    }

    @Test
    void refusesABrokenRuleFileWithItsLineAndKeepsTheActiveSet(@TempDir Path dir) throws IOException {
        copyShipped(dir);
        GuardrailRules repository = new GuardrailRules(dir, FIELDS);
        assertThat(repository.reloadIfChanged().activated()).isPresent();
        String good = repository.active().orElseThrow().version();

        Files.writeString(dir.resolve("broken.drl"), """
                package dev.allot.guardrails;
                import dev.allot.rules.Verdict;

                rule "typo"
                when
                    $v : Verdict( noSuchField > 1 )
                then
                    $v.deny("x");
                end
                """);
        GuardrailRules.LoadResult result = repository.reloadIfChanged();
        assertThat(result.activated()).isEmpty();
        assertThat(result.errors()).isNotEmpty();
        assertThat(result.errors().get(0).file()).isEqualTo("broken.drl");
        assertThat(result.errors().get(0).line()).isEqualTo(6);
        assertThat(repository.active().orElseThrow().version()).isEqualTo(good);
        assertThat(repository.lastErrors()).isEqualTo(result.errors());
    }

    @Test
    void reportsASyntaxErrorWithItsLine(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("syntax.drl"), """
                package dev.allot.guardrails;
                import dev.allot.rules.Verdict;
                rule "unterminated"
                when
                    $v : Verdict(
                then
                    $v.deny("x");
                end
                """);
        GuardrailRules.LoadResult result = new GuardrailRules(dir, FIELDS).reloadIfChanged();
        assertThat(result.errors()).isNotEmpty();
        assertThat(result.errors()).allSatisfy(e -> assertThat(e.file()).isEqualTo("syntax.drl"));
        assertThat(result.errors().get(0).line()).isBetween(5, 8);
    }

    @Test
    void picksUpAChangedFileAndCanRollBack(@TempDir Path dir) throws IOException {
        copyShipped(dir);
        GuardrailRules repository = new GuardrailRules(dir, FIELDS);
        repository.reloadIfChanged();
        String first = repository.active().orElseThrow().version();
        assertThat(repository.reloadIfChanged().changed()).isFalse();

        Files.writeString(dir.resolve("fairness.json"),
                Files.readString(dir.resolve("fairness.json")).replace("\"level\": 2", "\"level\": 3"));
        assertThat(repository.reloadIfChanged().activated()).isPresent();
        RuleSet second = repository.active().orElseThrow();
        assertThat(second.version()).isNotEqualTo(first);
        Verdict v = second.evaluate(arrival("high_frequency", Map.of(), Set.of()), candidates(), history(0),
                totals(0, 0));
        assertThat(v.reasons()).containsExactly(new Reason("cap-high-frequency", "maxLevel=3"));

        assertThat(repository.versions()).containsExactly(second.version(), first);
        assertThat(repository.rollback().map(RuleSet::version)).contains(first);
    }

    @Test
    void aRuleThatKeepsReactivatingItselfStopsAtTheFiringBound() {
        // The sandbox refuses update(), so only a rule set built around it can loop: the bound is the second wall.
        RuleSet looping = Unsandboxed.compile(referenceDrl(), """
                package dev.allot.guardrails;
                import dev.allot.rules.Arrival;

                rule "forever"
                when
                    $a : Arrival( segment == "churned" )
                then
                    update($a);
                end
                """);

        assertThatThrownBy(() -> looping.evaluate(arrival("churned", Map.of(), Set.of()), candidates(), history(0),
                totals(0, 0))).isInstanceOf(RuleFailure.class)
                .hasMessageContaining("fired " + RuleSet.MAX_FIRINGS + " times")
                .satisfies(e -> assertThat(((RuleFailure) e).rule()).isEqualTo("forever"));
        // The same set still evaluates arrivals the loop does not match, and the pooled session is clean.
        Verdict ordinary = looping.evaluate(arrival("high_frequency", Map.of(), Set.of()), candidates(), history(0),
                totals(0, 0));
        assertThat(ordinary.reasons()).containsExactly(new Reason("cap-high-frequency", "maxLevel=2"));
    }

    static Map<String, String> shippedSources() {
        return sources(SHIPPED);
    }

    /** The shipped rules as they were written in DRL before they moved to the JSON format. */
    static Map<String, String> referenceDrl() {
        return sources(Path.of("src", "test", "resources", "reference-drl"));
    }

    private static Map<String, String> sources(Path dir) {
        Map<String, String> files = new java.util.TreeMap<>();
        try (var paths = Files.list(dir)) {
            for (Path p : paths.filter(p -> RuleCompiler.isRuleFile(p.getFileName().toString())).toList()) {
                files.put(p.getFileName().toString(), Files.readString(p));
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return files;
    }

    private static void copyShipped(Path dir) throws IOException {
        try (var files = Files.list(SHIPPED)) {
            for (Path p : files.toList()) {
                Files.copy(p, dir.resolve(p.getFileName()));
            }
        }
    }

    private static Verdict evaluate(Arrival arrival, CouponHistory history, DayTotals totals) {
        return rules.evaluate(arrival, candidates(), history, totals);
    }

    private static List<LevelCandidate> candidates() {
        List<LevelCandidate> list = new ArrayList<>();
        for (int j = 0; j < COUPONS.length; j++) {
            list.add(new LevelCandidate(j, COUPONS[j], 18 - COUPONS[j], 0.1 + 0.02 * j));
        }
        return list;
    }

    private static Arrival arrival(String segment, Map<String, Object> attributes, Set<String> campaigns) {
        return new Arrival("demo", "u1", segment, Map.of("rides_30d", 3.0), attributes, campaigns);
    }

    private static CouponHistory history(long coupons) {
        return new CouponHistory(coupons, true);
    }

    private static DayTotals totals(double spend, double segmentSpend) {
        return new DayTotals(100, spend, segmentSpend);
    }
}
