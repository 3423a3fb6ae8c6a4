package dev.allot.rules;

import org.kie.api.KieBase;
import org.kie.api.event.rule.BeforeMatchFiredEvent;
import org.kie.api.event.rule.DefaultAgendaEventListener;
import org.kie.api.runtime.KieSession;
import org.kie.api.runtime.StatelessKieSession;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A compiled, immutable set of guardrail rules. Evaluation is a stateless Drools execution over the
 * arrival's facts and a fresh {@link Verdict}; safe to call from many threads at once.
 *
 * @param version a digest of the rule files' names and contents
 * @param sources the rule files, by name
 */
public record RuleSet(String version, Map<String, String> sources, Instant compiledAt, KieBase kieBase,
                      StatelessKieSession session) implements Guardrails {

    /** Firings one evaluation may take: the shipped rules take at most a dozen. */
    public static final int MAX_FIRINGS = 1_000;

    /** Firings of the evaluation running on this thread (a stateless execution runs on its caller's thread). */
    private static final ThreadLocal<int[]> FIRINGS = ThreadLocal.withInitial(() -> new int[1]);

    static RuleSet of(String version, Map<String, String> sources, KieBase kieBase) {
        // From a pool: each execution resets a pooled session instead of building a new one (a third of the cost).
        StatelessKieSession session = kieBase.newKieSessionsPool(Runtime.getRuntime().availableProcessors())
                .newStatelessKieSession();
        session.addEventListener(new DefaultAgendaEventListener() {
            @Override
            public void beforeMatchFired(BeforeMatchFiredEvent event) {
                if (++FIRINGS.get()[0] >= MAX_FIRINGS) {
                    // A rule that keeps re-activating itself (an update in its consequence) stops here rather
                    // than holding the decision forever; the evaluation then counts as failed.
                    ((KieSession) event.getKieRuntime()).halt();
                }
                // Tag the verdict with the rule about to act on it, so effects carry their rule's name.
                for (Object o : event.getMatch().getObjects()) {
                    if (o instanceof Verdict verdict) {
                        verdict.enterRule(event.getMatch().getRule().getName());
                    }
                }
            }
        });
        return new RuleSet(version, Map.copyOf(sources), Instant.now(), kieBase, session);
    }

    @Override
    public Verdict evaluate(Arrival arrival, List<LevelCandidate> candidates, CouponHistory history,
                            DayTotals totals) {
        Verdict verdict = new Verdict(candidates.size());
        List<Object> facts = new ArrayList<>(candidates.size() + 4);
        facts.add(verdict);
        facts.add(arrival);
        facts.add(history);
        facts.add(totals);
        facts.addAll(candidates);
        FIRINGS.get()[0] = 0;
        session.execute(facts);
        if (FIRINGS.get()[0] >= MAX_FIRINGS) {
            throw new IllegalStateException("guardrail rules fired " + MAX_FIRINGS + " times for one arrival: a rule"
                    + " keeps re-activating itself");
        }
        return verdict;
    }

    public int ruleCount() {
        return kieBase.getKiePackages().stream().mapToInt(p -> p.getRules().size()).sum();
    }
}
