package dev.allot.rules.sandbox;

import dev.allot.rules.Arrival;
import dev.allot.rules.CouponHistory;
import dev.allot.rules.DayTotals;
import dev.allot.rules.LevelCandidate;
import dev.allot.rules.Verdict;

import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Everything a rule may touch, as an allow-list: the fact types, the properties and methods each exposes to
 * rules, and the collector's actions. Anything not listed here is refused by {@link DrlSandbox}.
 */
enum FactModel {
    ARRIVAL(Arrival.class, Set.of("city", "userId", "segment", "campaigns"),
            Set.of("getCity", "getUserId", "getSegment", "getCampaigns", "hasCampaign", "feature", "attribute",
                    "isTrue"),
            Set.of()),
    LEVEL(LevelCandidate.class, Set.of("level", "coupon", "price", "conversion"),
            Set.of("getLevel", "getCoupon", "getPrice", "getConversion"), Set.of()),
    HISTORY(CouponHistory.class, Set.of("known", "couponsLast7Days"), Set.of("isKnown", "getCouponsLast7Days"),
            Set.of()),
    TOTALS(DayTotals.class, Set.of("decisions", "spend", "segmentSpend", "segmentShare"),
            Set.of("getDecisions", "getSpend", "getSegmentSpend", "getSegmentShare"), Set.of()),
    VERDICT(Verdict.class, Set.of(), Set.of(), Set.of("forbid", "capMaxLevel", "force", "deny")),
    /** The number an accumulate produces; not a fact, so no pattern may name it on its own. */
    RESULT(Number.class, Set.of("intValue", "longValue", "doubleValue"), Set.of("intValue", "longValue",
            "doubleValue"), Set.of());

    /** Methods whose single argument names a declared field and must be a string literal. */
    static final Set<String> FIELD_METHODS = Set.of("feature", "attribute", "isTrue");

    private static final Map<String, FactModel> BY_NAME = facts().collect(Collectors.toMap(
            f -> f.type.getSimpleName(), Function.identity()));

    final Class<?> type;
    /** Properties a constraint may name (MVEL property access). */
    final Set<String> properties;
    /** Side-effect-free methods a condition or consequence may call on the fact. */
    final Set<String> queries;
    /** Methods a consequence may call as a statement: the collector's actions. */
    final Set<String> actions;

    FactModel(Class<?> type, Set<String> properties, Set<String> queries, Set<String> actions) {
        this.type = type;
        this.properties = properties;
        this.queries = queries;
        this.actions = actions;
    }

    String simpleName() {
        return type.getSimpleName();
    }

    /** The fact type a pattern names, by simple or qualified name. */
    static Optional<FactModel> byPatternType(String objectType) {
        if (objectType == null) {
            return Optional.empty();
        }
        String simple = objectType.startsWith("dev.allot.rules.") ? objectType.substring("dev.allot.rules.".length())
                : objectType;
        return Optional.ofNullable(BY_NAME.get(simple));
    }

    static String names() {
        return facts().map(FactModel::simpleName).collect(Collectors.joining(", "));
    }

    /** The types inserted as facts. */
    static Stream<FactModel> facts() {
        return Arrays.stream(values()).filter(f -> f != RESULT);
    }
}
