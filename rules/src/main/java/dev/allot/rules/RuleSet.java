package dev.allot.rules;

import org.kie.api.KieBase;
import org.kie.api.KieServices;
import org.kie.api.event.rule.BeforeMatchFiredEvent;
import org.kie.api.event.rule.DefaultAgendaEventListener;
import org.kie.api.runtime.KieSession;
import org.kie.api.runtime.KieSessionConfiguration;
import org.kie.api.runtime.StatelessKieSession;
import org.kie.api.runtime.conf.ThreadSafeOption;
import org.kie.api.runtime.rule.ConsequenceException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A compiled, immutable set of guardrail rules. Evaluation is a stateless Drools execution over the
 * arrival's facts and a fresh {@link Verdict}; safe to call from many threads at once. An evaluation that throws
 * or passes its bounds ({@link #MAX_FIRINGS}, {@link #TIME_BUDGET_NANOS}) ends in a {@link RuleFailure}, counted
 * in the set's {@link RuleHealth}.
 *
 * @param version a digest of the rule files' names and contents
 * @param sources the rule files, by name
 */
public record RuleSet(String version, Map<String, String> sources, Instant compiledAt, KieBase kieBase,
                      StatelessKieSession session, RuleHealth health) implements Guardrails {

    private static final Logger LOG = LoggerFactory.getLogger(RuleSet.class);

    /** Firings one evaluation may take: the shipped rules take at most a dozen. */
    public static final int MAX_FIRINGS = 1_000;
    /**
     * Time one evaluation may take, checked at every firing. A sandboxed rule cannot loop, so this is the last
     * wall, set well above what a cold rule set (Drools compiles a consequence at its first firing) or a long GC
     * pause can take: the shipped rules take a few microseconds warm.
     */
    public static final long TIME_BUDGET_NANOS = 1_000_000_000L;

    /** The evaluation running on this thread (a stateless execution runs on its caller's thread). */
    private static final ThreadLocal<Evaluation> EVALUATION = ThreadLocal.withInitial(Evaluation::new);

    private static final class Evaluation {
        int firings;
        long deadline;
        String lastRule;
        String stoppedBy;
    }

    static RuleSet of(String version, Map<String, String> sources, KieBase kieBase, RuleHealth.Policy policy) {
        // From a pool: each execution resets a pooled session instead of building a new one (a third of the cost).
        // The pool hands a session to one thread at a time, and a rule halts only its own thread's execution: no
        // session needs Drools' locks and queued propagations for other threads (docs/benchmarks.md).
        KieSessionConfiguration configuration = KieServices.get().newKieSessionConfiguration();
        configuration.setOption(ThreadSafeOption.NO);
        StatelessKieSession session = kieBase.newKieSessionsPool(Runtime.getRuntime().availableProcessors())
                .newStatelessKieSession(configuration);
        session.addEventListener(new DefaultAgendaEventListener() {
            @Override
            public void beforeMatchFired(BeforeMatchFiredEvent event) {
                Evaluation evaluation = EVALUATION.get();
                String rule = event.getMatch().getRule().getName();
                evaluation.lastRule = rule;
                if (++evaluation.firings >= MAX_FIRINGS) {
                    // A rule that keeps re-activating itself stops here rather than holding the decision forever.
                    evaluation.stoppedBy = "fired " + MAX_FIRINGS + " times for one arrival";
                    ((KieSession) event.getKieRuntime()).halt();
                } else if (System.nanoTime() - evaluation.deadline > 0) {
                    evaluation.stoppedBy = "took longer than " + TIME_BUDGET_NANOS / 1_000_000 + " ms";
                    ((KieSession) event.getKieRuntime()).halt();
                }
                // Tag the verdict with the rule about to act on it, so effects carry their rule's name.
                for (Object o : event.getMatch().getObjects()) {
                    if (o instanceof Verdict verdict) {
                        verdict.enterRule(rule);
                    }
                }
            }
        });
        return new RuleSet(version, Map.copyOf(sources), Instant.now(), kieBase, session, new RuleHealth(policy));
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
        Evaluation evaluation = EVALUATION.get();
        evaluation.firings = 0;
        evaluation.lastRule = null;
        evaluation.stoppedBy = null;
        evaluation.deadline = System.nanoTime() + TIME_BUDGET_NANOS;
        try {
            session.execute(facts);
        } catch (ConsequenceException e) {
            throw failure(e.getMatch().getRule().getName(), "rule \"" + e.getMatch().getRule().getName()
                    + "\" threw " + rootCause(e).getClass().getSimpleName(), e);
        } catch (RuntimeException e) {
            throw failure(RuleFailure.UNATTRIBUTED, "a condition threw " + rootCause(e).getClass().getSimpleName(), e);
        } catch (OutOfMemoryError e) {
            throw e;
        } catch (Error e) {
            // A rule's StackOverflowError, or a Drools defect (a LinkageError from its generated bytecode), is the
            // rule set's failure, not the decision's: counted, and the arrival fails closed like any other.
            throw failure(evaluation.lastRule == null ? RuleFailure.UNATTRIBUTED : evaluation.lastRule,
                    "guardrail rules failed with " + e.getClass().getSimpleName(), e);
        }
        if (evaluation.stoppedBy != null) {
            throw failure(evaluation.lastRule == null ? RuleFailure.UNATTRIBUTED : evaluation.lastRule,
                    "guardrail rules " + evaluation.stoppedBy + " (last rule: " + evaluation.lastRule + ")", null);
        }
        health.succeeded();
        return verdict;
    }

    private RuleFailure failure(String rule, String message, Throwable cause) {
        health.failed(rule);
        if (health.failures().getOrDefault(rule, 0L) == 1) {
            // The first failure of each rule is worth a line; the rest are counted (metrics, /health/ready).
            LOG.warn("Guardrail rules {}: {} (first failure of {}; arrivals it fails get no coupon)", version, message,
                    rule);
        }
        return new RuleFailure(rule, message, cause);
    }

    private static Throwable rootCause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t;
    }

    /** The names of the set's rules, sorted. */
    public List<String> ruleNames() {
        return kieBase.getKiePackages().stream().flatMap(p -> p.getRules().stream()).map(r -> r.getName()).sorted()
                .toList();
    }

    public int ruleCount() {
        return kieBase.getKiePackages().stream().mapToInt(p -> p.getRules().size()).sum();
    }
}
