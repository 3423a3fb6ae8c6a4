package dev.allot.engine.replay;

import dev.allot.engine.CitySetup;
import dev.allot.engine.DecisionEngine;
import dev.allot.engine.DecisionRecord;
import dev.allot.engine.Levels;
import dev.allot.rules.Guardrails;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.TreeMap;

/**
 * Runs recorded decisions through the {@link DecisionEngine} again with a candidate model, rule set, lambda or
 * city configuration, and reports what would change: how many decisions, level to level, and the expected
 * spend, conversions and revenue per segment. Each record is replayed with its own request, its own context
 * (the coupon count and totals its rules saw), its decision id (which fixes an exploration draw) and, unless
 * the candidate names one, its own lambda; so replaying with what was live reproduces every level of every
 * versioned record.
 *
 * <p>Feed records with {@link #add}, then read {@link #report}. Not thread-safe; one pass, constant memory
 * besides the report.
 */
public final class Replay {

    /** Where the expected figures of the replayed choice come from. */
    public enum Curves {
        /** The calibrated curve recorded with the decision: what the live model believed. */
        RECORDED,
        /** The candidate model's curve: what the candidate believes. */
        CANDIDATE
    }

    /**
     * What to replay with.
     *
     * @param lambda the lambda every decision is replayed at; empty: each record's own
     */
    public record Candidate(CitySetup setup, Guardrails rules, OptionalDouble lambda, Curves curves) {
        public Candidate {
            Objects.requireNonNull(setup, "setup");
            Objects.requireNonNull(rules, "rules");
            Objects.requireNonNull(lambda, "lambda");
            Objects.requireNonNull(curves, "curves");
        }
    }

    private static final int EXAMPLES = 20;

    private final Candidate candidate;
    private final Map<String, ReplayReport.Tally> bySegment = new TreeMap<>();
    private final ReplayReport.Tally total = new ReplayReport.Tally();
    private final Map<String, Map<String, Long>> transitions = new TreeMap<>();
    private final List<ReplayReport.Change> examples = new ArrayList<>();
    private long otherCities;
    private long unversioned;

    public Replay(Candidate candidate) {
        this.candidate = candidate;
    }

    /** Replays {@code records} with {@code candidate} in one call. */
    public static ReplayReport run(Iterable<DecisionRecord> records, Candidate candidate) {
        Replay replay = new Replay(candidate);
        records.forEach(replay::add);
        return replay.report();
    }

    /**
     * Replays one record. Records of other cities are counted and skipped, and so are unversioned (format 0)
     * ones: they lack the attributes and context their rules saw, and their exploration draw was not derived
     * from the id, so a replay could not reproduce them.
     */
    public void add(DecisionRecord recorded) {
        CitySetup setup = candidate.setup();
        if (!recorded.city().equals(setup.city())) {
            otherCities++;
            return;
        }
        if (recorded.format() == 0) {
            unversioned++;
            return;
        }
        double lambda = candidate.lambda().orElse(recorded.lambda());
        DecisionRecord replayed = DecisionEngine.decide(setup, candidate.rules(), lambda, recorded.request(),
                recorded.context(), recorded.decisionId(), recorded.timestampMillis(), recorded.day()).record();

        double beforeConversion = recorded.expectedConversion();
        double afterConversion = 0;
        if (replayed.level() != null) {
            Levels curve = candidate.curves() == Curves.RECORDED
                    && recorded.levels().size() == replayed.levels().size() ? recorded.levels() : replayed.levels();
            afterConversion = curve.calibrated()[replayed.level()];
        }
        boolean changed = !Objects.equals(recorded.level(), replayed.level());
        ReplayReport.Tally segment = bySegment.computeIfAbsent(recorded.segment(), s -> new ReplayReport.Tally());
        for (ReplayReport.Tally t : List.of(segment, total)) {
            t.add(changed, beforeConversion, recorded.price(), recorded.coupon(), afterConversion, replayed.price(),
                    replayed.coupon());
        }
        transitions.computeIfAbsent(label(recorded.level()), l -> new TreeMap<>())
                .merge(label(replayed.level()), 1L, Long::sum);
        if (changed && examples.size() < EXAMPLES) {
            examples.add(new ReplayReport.Change(recorded.decisionId(), recorded.segment(), recorded.group(),
                    recorded.level(), replayed.level(), replayed.reasons().stream().map(r -> r.rule()).toList()));
        }
    }

    public ReplayReport report() {
        Map<String, ReplayReport.Impact> segments = new TreeMap<>();
        bySegment.forEach((s, t) -> segments.put(s, t.impact()));
        return new ReplayReport(candidate.setup().city(), candidate.setup().model().version(),
                candidate.rules().version(), candidate.lambda().isPresent() ? candidate.lambda().getAsDouble() : null,
                candidate.curves().name().toLowerCase(Locale.ROOT), total.impact(), segments,
                transitions, examples, otherCities, unversioned);
    }

    private static String label(Integer level) {
        return level == null ? "none" : level.toString();
    }
}
