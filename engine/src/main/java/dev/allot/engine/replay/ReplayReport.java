package dev.allot.engine.replay;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a {@link Replay} found.
 *
 * @param lambda      the lambda every decision was replayed at, or null (each record's own)
 * @param total       all replayed decisions
 * @param bySegment   the same per segment
 * @param transitions recorded level -> replayed level -> count ({@code none}: no level offered)
 * @param examples    the first changed decisions, to inspect
 * @param otherCities records of other cities, skipped
 * @param unversioned records written before the format was versioned, skipped: they cannot be replayed
 */
public record ReplayReport(String city, String modelVersion, String rulesVersion, Double lambda, String curves,
                           Impact total, Map<String, Impact> bySegment, Map<String, Map<String, Long>> transitions,
                           List<Change> examples, long otherCities, long unversioned) {

    /**
     * Expected figures before (as recorded) and after (as replayed), summed over decisions: conversions are
     * purchase probabilities, revenue is probability times price, spend is probability times coupon.
     */
    public record Impact(long decisions, long changed, double conversionsBefore, double conversionsAfter,
                         double revenueBefore, double revenueAfter, double spendBefore, double spendAfter) {

        public double conversionsDelta() {
            return conversionsAfter - conversionsBefore;
        }

        public double revenueDelta() {
            return revenueAfter - revenueBefore;
        }

        public double spendDelta() {
            return spendAfter - spendBefore;
        }
    }

    /** One decision that the candidate would make differently, with the rules that acted on it. */
    public record Change(String decisionId, String segment, String group, Integer before, Integer after,
                         List<String> rules) {
    }

    /** A running sum behind an {@link Impact}. */
    static final class Tally {
        private long decisions;
        private long changed;
        private double conversionsBefore;
        private double conversionsAfter;
        private double revenueBefore;
        private double revenueAfter;
        private double spendBefore;
        private double spendAfter;

        void add(boolean changed, double rBefore, double priceBefore, double couponBefore, double rAfter,
                 double priceAfter, double couponAfter) {
            decisions++;
            this.changed += changed ? 1 : 0;
            conversionsBefore += rBefore;
            conversionsAfter += rAfter;
            revenueBefore += rBefore * priceBefore;
            revenueAfter += rAfter * priceAfter;
            spendBefore += rBefore * couponBefore;
            spendAfter += rAfter * couponAfter;
        }

        Impact impact() {
            return new Impact(decisions, changed, conversionsBefore, conversionsAfter, revenueBefore, revenueAfter,
                    spendBefore, spendAfter);
        }
    }

    /** A plain-text summary for a terminal. */
    public String table() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "replay of %s with model %s, rules %s, lambda %s, %s curves%n", city,
                modelVersion, rulesVersion, lambda == null ? "as recorded" : lambda, curves));
        sb.append(String.format(Locale.ROOT, "%-20s %9s %8s %12s %12s %12s%n", "segment", "decisions", "changed",
                "d spend", "d convers.", "d revenue"));
        bySegment.forEach((s, i) -> row(sb, s, i));
        row(sb, "all", total);
        sb.append("level transitions (recorded -> replayed: count):\n");
        transitions.forEach((from, to) -> to.forEach((l, n) -> {
            if (!from.equals(l)) {
                sb.append(String.format(Locale.ROOT, "  %s -> %s: %d%n", from, l, n));
            }
        }));
        if (otherCities > 0) {
            sb.append(otherCities).append(" records of other cities skipped\n");
        }
        if (unversioned > 0) {
            sb.append(unversioned).append(" records from before the versioned format skipped (not replayable)\n");
        }
        return sb.toString();
    }

    private static void row(StringBuilder sb, String name, Impact i) {
        sb.append(String.format(Locale.ROOT, "%-20s %9d %8d %12.4f %12.4f %12.4f%n", name, i.decisions(),
                i.changed(), i.spendDelta(), i.conversionsDelta(), i.revenueDelta()));
    }
}
