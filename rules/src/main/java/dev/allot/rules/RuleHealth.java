package dev.allot.rules;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * How one rule set is doing on this replica: evaluations, failures by rule, and whether its failure rate has
 * crossed the {@link Policy}'s line, which makes the replica fall back to the last good set. The rate is counted
 * over windows of {@link Policy#window()} evaluations, without a clock, so the same traffic trips it the same
 * way in a test and in production.
 */
public final class RuleHealth {

    /**
     * When a rule set counts as broken.
     *
     * @param maxErrorRate failures per evaluation above which the set is abandoned
     * @param window       evaluations per counting window
     * @param minFailures  failures a window needs before the rate counts (one failure in five is not a trend)
     */
    public record Policy(double maxErrorRate, int window, int minFailures) {

        public static final Policy DEFAULT = new Policy(0.01, 1_000, 10);

        public Policy {
            if (!(maxErrorRate >= 0 && maxErrorRate <= 1)) {
                throw new IllegalArgumentException("maxErrorRate must be in [0, 1], got " + maxErrorRate);
            }
            if (window < 1 || minFailures < 1) {
                throw new IllegalArgumentException("window and minFailures must be at least 1");
            }
        }
    }

    private final Policy policy;
    private final LongAdder evaluations = new LongAdder();
    private final Map<String, LongAdder> failuresByRule = new ConcurrentHashMap<>();
    private final AtomicLong windowEvaluations = new AtomicLong();
    private final AtomicLong windowFailures = new AtomicLong();
    private final AtomicBoolean tripped = new AtomicBoolean();
    private volatile Runnable onTrip = () -> { };

    public RuleHealth(Policy policy) {
        this.policy = policy;
    }

    void succeeded() {
        evaluations.increment();
        if (windowEvaluations.incrementAndGet() >= policy.window()) {
            windowEvaluations.set(0);
            windowFailures.set(0);
        }
    }

    /** What to do, once, when the failure rate crosses the line (runs on the evaluating thread: keep it short). */
    public void onTrip(Runnable action) {
        this.onTrip = action;
    }

    /** Counts a failure of {@code rule}; the first time the set's failure rate crosses the line, trips. */
    void failed(String rule) {
        evaluations.increment();
        failuresByRule.computeIfAbsent(rule, r -> new LongAdder()).increment();
        long failures = windowFailures.incrementAndGet();
        long seen = windowEvaluations.incrementAndGet();
        boolean broken = failures >= policy.minFailures() && failures > policy.maxErrorRate() * seen;
        if (broken && tripped.compareAndSet(false, true)) {
            onTrip.run();
        }
    }

    /** A set brought back on purpose (a rollback) gets a clean window, so it can fall back again if it fails. */
    void rearm() {
        windowEvaluations.set(0);
        windowFailures.set(0);
        tripped.set(false);
    }

    public long evaluations() {
        return evaluations.sum();
    }

    /** Failures by rule name, sorted. */
    public Map<String, Long> failures() {
        Map<String, Long> out = new TreeMap<>();
        failuresByRule.forEach((rule, count) -> out.put(rule, count.sum()));
        return out;
    }

    public long failureCount() {
        return failuresByRule.values().stream().mapToLong(LongAdder::sum).sum();
    }

    /** Whether the failure rate crossed the policy's line at some point. */
    public boolean tripped() {
        return tripped.get();
    }
}
