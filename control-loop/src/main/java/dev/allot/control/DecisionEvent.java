package dev.allot.control;

import java.util.Map;

/**
 * What one decision writes to Redis, behind the request: its entry in the city's decision stream (the audit
 * and training log), the small record outcomes are matched against, the user's coupon history, and its
 * increments to the day's totals.
 *
 * @param decisionId   unique, and the member of the user's coupon history
 * @param couponGiven  whether a non-zero coupon was offered (counts toward per-user caps)
 * @param streamFields fields of the stream entry, in order
 * @param record       fields of {@code allot:{city}:decision:<id>}: day, level, price, coupon, ...
 * @param totals       increments to {@code allot:{city}:totals:<day>}
 */
public record DecisionEvent(String city, String day, String decisionId, String userId, long timestampMillis,
                            boolean couponGiven, Map<String, String> streamFields, Map<String, String> record,
                            Map<String, Double> totals) {
}
