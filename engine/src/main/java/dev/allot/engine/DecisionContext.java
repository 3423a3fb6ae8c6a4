package dev.allot.engine;

import dev.allot.control.CityTotals;
import dev.allot.rules.CouponHistory;
import dev.allot.rules.DayTotals;

/**
 * What the rules saw of the world beyond the request: the user's coupon count over the last seven days (and
 * whether it was known) and the city's running totals as this replica last read them. Recorded with the
 * decision so that a replay shows the rules exactly the same facts.
 */
public record DecisionContext(long couponsLast7Days, boolean historyKnown, long dayDecisions, double daySpend,
                              double segmentSpend) {

    /** Nothing known: no history, no totals (a replica that has not reached its store). */
    public static final DecisionContext UNKNOWN = new DecisionContext(0, false, 0, 0, 0);

    /** The context of {@code request}: its segment's spend, under the name the engine records it by. */
    public static DecisionContext of(CouponHistory history, CityTotals totals, DecisionRequest request) {
        String segment = request.segment() == null ? DecisionEngine.UNKNOWN_SEGMENT : request.segment();
        return new DecisionContext(history.getCouponsLast7Days(), history.isKnown(), totals.decisions(),
                totals.get(CityTotals.SPEND), totals.get(CityTotals.segmentSpend(segment)));
    }

    public CouponHistory history() {
        return new CouponHistory(couponsLast7Days, historyKnown);
    }

    public DayTotals dayTotals() {
        return new DayTotals(dayDecisions, daySpend, segmentSpend);
    }
}
