package dev.allot.rules;

/**
 * The city's running totals for the day, as of the last refresh, from the arrival's segment's point of view.
 *
 * @see dev.allot.rules.Arrival#getSegment()
 */
public final class DayTotals {

    private final long decisions;
    private final double spend;
    private final double segmentSpend;

    public DayTotals(long decisions, double spend, double segmentSpend) {
        this.decisions = decisions;
        this.spend = spend;
        this.segmentSpend = segmentSpend;
    }

    public long getDecisions() {
        return decisions;
    }

    /** Expected coupon spend so far today. */
    public double getSpend() {
        return spend;
    }

    public double getSegmentSpend() {
        return segmentSpend;
    }

    /** The arrival's segment's share of today's expected coupon spend (0 before any spend). */
    public double getSegmentShare() {
        return spend > 0 ? segmentSpend / spend : 0;
    }
}
