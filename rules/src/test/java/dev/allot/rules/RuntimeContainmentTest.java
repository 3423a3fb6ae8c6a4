package dev.allot.rules;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What a rule set that passed the sandbox can still do wrong at run time, and what the replica does about it. */
class RuntimeContainmentTest {

    static final String BUGGY = HostileRuleSets.BUGGY_FOR_CHURNED;

    @TempDir
    Path dir;

    @Test
    void aRuleThatThrowsIsCountedUnderItsName() {
        RuleSet rules = RuleCompiler.compile(Map.of("buggy.drl", BUGGY), GuardrailRulesTest.FIELDS).ruleSet();

        assertThatThrownBy(() -> evaluate(rules, "churned")).isInstanceOf(RuleFailure.class)
                .hasMessageContaining("buggy-division").hasMessageContaining("ArithmeticException")
                .satisfies(e -> assertThat(((RuleFailure) e).rule()).isEqualTo("buggy-division"));
        evaluate(rules, "regular");

        assertThat(rules.health().evaluations()).isEqualTo(2);
        assertThat(rules.health().failures()).containsExactly(Map.entry("buggy-division", 1L));
        assertThat(rules.health().tripped()).isFalse();
    }

    @Test
    void aSetThatFailsTooOftenIsReplacedByTheLastGoodOne() {
        GuardrailRules repository = new GuardrailRules(dir, GuardrailRulesTest.FIELDS,
                new RuleHealth.Policy(0.05, 1_000, 10));
        RuleSet good = repository.activate(GuardrailRulesTest.shippedSources()).activated().orElseThrow();
        Map<String, String> buggy = new TreeMap<>(GuardrailRulesTest.shippedSources());
        buggy.put("zz-buggy.drl", BUGGY);
        RuleSet bad = repository.activate(buggy).activated().orElseThrow();

        int failures = 0;
        for (int i = 0; i < 100 && repository.active().orElseThrow() == bad; i++) {
            try {
                evaluate(bad, i % 4 == 0 ? "churned" : "regular");
            } catch (RuleFailure e) {
                failures++;
            }
        }

        // A quarter of arrivals fail: over 5% once 10 have failed, after about 40 arrivals.
        assertThat(failures).isEqualTo(10);
        assertThat(repository.active()).contains(good);
        GuardrailRules.Fallback fallback = repository.fallback().orElseThrow();
        assertThat(fallback.from()).isEqualTo(bad.version());
        assertThat(fallback.to()).isEqualTo(good.version());
        assertThat(fallback.failures()).containsExactly(Map.entry("buggy-division", 10L));
        assertThat(repository.versions()).containsExactly(good.version());

        // Activating a set clears the fallback.
        repository.activate(GuardrailRulesTest.shippedSources());
        assertThat(repository.fallback()).isEmpty();
    }

    @Test
    void rareFailuresBelowTheRateKeepTheSetAndFailClosedOneByOne() {
        GuardrailRules repository = new GuardrailRules(dir, GuardrailRulesTest.FIELDS,
                new RuleHealth.Policy(0.05, 1_000, 10));
        repository.activate(GuardrailRulesTest.shippedSources());
        Map<String, String> buggy = new TreeMap<>(GuardrailRulesTest.shippedSources());
        buggy.put("zz-buggy.drl", BUGGY);
        RuleSet bad = repository.activate(buggy).activated().orElseThrow();

        for (int i = 0; i < 1_000; i++) {
            try {
                evaluate(bad, i % 50 == 0 ? "churned" : "regular");
            } catch (RuleFailure e) {
                assertThat(e.rule()).isEqualTo("buggy-division");
            }
        }

        assertThat(bad.health().failures()).containsExactly(Map.entry("buggy-division", 20L));
        assertThat(repository.active()).contains(bad);
        assertThat(repository.fallback()).isEmpty();
    }

    @Test
    void withNoEarlierGoodSetTheFailingSetStaysAndTheFallbackSaysSo() {
        GuardrailRules repository = new GuardrailRules(dir, GuardrailRulesTest.FIELDS,
                new RuleHealth.Policy(0.01, 1_000, 3));
        RuleSet bad = repository.activate(Map.of("buggy.drl", BUGGY)).activated().orElseThrow();
        for (int i = 0; i < 3; i++) {
            assertThatThrownBy(() -> evaluate(bad, "churned")).isInstanceOf(RuleFailure.class);
        }
        assertThat(repository.active()).contains(bad);
        assertThat(repository.fallback().orElseThrow().to()).isNull();
    }

    @Test
    void anEvaluationPastItsTimeBudgetFailsAtTheNextFiring() {
        // Only a rule built around the sandbox can sleep; the budget is the wall behind it.
        RuleSet slow = Unsandboxed.compile(Map.of(), """
                package dev.allot.guardrails;
                import dev.allot.rules.*;
                rule "slow" salience 10
                when
                    Arrival()
                then
                    try { Thread.sleep(%d); } catch (InterruptedException e) { }
                end
                rule "after"
                when
                    $v : Verdict()
                then
                    $v.capMaxLevel(1);
                end
                """.formatted(RuleSet.TIME_BUDGET_NANOS / 1_000_000 + 20));

        assertThatThrownBy(() -> evaluate(slow, "regular")).isInstanceOf(RuleFailure.class)
                .hasMessageContaining("took longer than").satisfies(e -> assertThat(((RuleFailure) e).rule())
                        .isEqualTo("after"));
        assertThat(slow.health().failureCount()).isEqualTo(1);
    }

    @Test
    void anErrorRatherThanAnExceptionIsContainedToo() {
        RuleSet failing = Unsandboxed.compile(Map.of(), """
                package dev.allot.guardrails;
                import dev.allot.rules.*;
                rule "overflows"
                when
                    Arrival( segment == "churned" )
                then
                    if (true) { throw new StackOverflowError(); }
                end
                """);

        assertThatThrownBy(() -> evaluate(failing, "churned")).isInstanceOf(RuleFailure.class)
                .hasMessageContaining("StackOverflowError");
        assertThat(failing.health().failureCount()).isEqualTo(1);
        assertThat(evaluate(failing, "regular").isDenied()).isFalse();
    }

    private static Verdict evaluate(RuleSet rules, String segment) {
        List<LevelCandidate> levels = new ArrayList<>();
        double[] coupons = {0, 2, 4, 6, 8, 10};
        for (int j = 0; j < coupons.length; j++) {
            levels.add(new LevelCandidate(j, coupons[j], 18 - coupons[j], 0.3));
        }
        return rules.evaluate(new Arrival("demo", "u", segment, Map.of(), Map.of(), Set.of()), levels,
                new CouponHistory(0, true), new DayTotals(0, 0, 0));
    }
}
