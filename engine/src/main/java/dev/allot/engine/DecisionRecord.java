package dev.allot.engine;

import dev.allot.control.CityTotals;
import dev.allot.control.DecisionEvent;
import dev.allot.control.Increments;
import dev.allot.rules.Reason;

import java.time.Instant;
import java.util.AbstractMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Everything one decision saw and did, enough to replay it: the request, what the rules saw besides it, every
 * level's numbers, the group and its propensity, lambda, the chosen level, the rules' reasons and the versions
 * of model and rules. Written to the decision stream and the CSV export by {@link DecisionCodec}.
 *
 * @param format          the record's format version ({@link DecisionCodec#FORMAT}); 0 for records written
 *                        before it was versioned, which lack attributes, the context and values and costs
 * @param requestId       the client's idempotency key, or null
 * @param clientTimestamp the time the client sent, or null
 * @param segment         the arrival's segment ({@link DecisionEngine#UNKNOWN_SEGMENT} when the app sent none)
 * @param level           the level offered, or null when no level was allowed and the ladder has no free level
 */
public record DecisionRecord(int format, String decisionId, String requestId, String city, String day,
                             long timestampMillis, Instant clientTimestamp, String userId, String segment,
                             Map<String, Double> features, Map<String, Object> attributes, List<String> campaigns,
                             DecisionContext context, Levels levels, String group, double propensity, double lambda,
                             Integer level, double coupon, double price, List<Reason> reasons, String modelVersion,
                             String rulesVersion) {

    public DecisionRecord {
        features = Map.copyOf(features);
        attributes = Map.copyOf(attributes);
        campaigns = List.copyOf(campaigns);
        reasons = List.copyOf(reasons);
    }

    public boolean offered() {
        return level != null;
    }

    /** Expected purchase probability at the offered level (0 when none was offered). */
    public double expectedConversion() {
        return level == null ? 0 : levels.calibrated()[level];
    }

    /** The request as the app sent it, for a replay through the engine. */
    public DecisionRequest request() {
        return new DecisionRequest(requestId, city, userId, segment, features, attributes, campaigns,
                clientTimestamp);
    }

    /** What this decision adds to the city's running totals of its day. */
    public Increments totalsDelta() {
        Increments totals = new Increments();
        totals.add(CityTotals.DECISIONS, 1.0);
        totals.add(CityTotals.segmentDecisions(segment), 1.0);
        totals.add(CityTotals.groupDecisions(group), 1.0);
        if (level != null) {
            double r = expectedConversion();
            totals.add(CityTotals.CONVERSIONS, r);
            totals.add(CityTotals.REVENUE, r * price);
            totals.add(CityTotals.SPEND, r * coupon);
            totals.add(CityTotals.segmentSpend(segment), r * coupon);
            totals.add(CityTotals.levelDecisions(level), 1.0);
            totals.add(CityTotals.OFFERED, coupon);
            if (coupon > 0) {
                totals.add(CityTotals.COUPONS, 1.0);
            }
        }
        return totals;
    }

    /**
     * What this decision writes to the city's state: totals, coupon history, outcome index, and the given
     * stream entry: {@link DecisionCodec#toStream} for the Redis write-behind log (whose script needs an entry),
     * or an empty map for a sink that keeps no stream (the in-memory store).
     */
    public DecisionEvent event(Map<String, String> streamFields) {
        return new DecisionEvent(city, day, decisionId, userId, timestampMillis, coupon > 0, streamFields,
                new DeferredIndex(this), totalsDelta());
    }

    /**
     * The outcome index, built when first read: by the write-behind log's journal thread, with the record's JSON,
     * not by the request's event loop.
     */
    private static final class DeferredIndex extends AbstractMap<String, String> {
        private DecisionRecord record;
        private volatile Map<String, String> fields;

        DeferredIndex(DecisionRecord record) {
            this.record = record;
        }

        @Override
        public Set<Entry<String, String>> entrySet() {
            Map<String, String> built = fields;
            if (built == null) {
                synchronized (this) {
                    built = fields;
                    if (built == null) {
                        built = record.outcomeIndex();
                        fields = built;
                        record = null;
                    }
                }
            }
            return built.entrySet();
        }
    }

    /** The short index an outcome is matched against: its day, offer and segment. */
    public Map<String, String> outcomeIndex() {
        return Map.of("day", day, "level", level == null ? "" : level.toString(), "coupon", Double.toString(coupon),
                "price", Double.toString(price), "segment", segment, "group", group);
    }
}
