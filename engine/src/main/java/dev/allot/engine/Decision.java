package dev.allot.engine;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.allot.control.Candidate;
import dev.allot.rules.Reason;

import java.util.ArrayList;
import java.util.List;

/**
 * The response to one arrival (DESIGN §4). {@code level} is null only when no level is allowed and the ladder
 * has no coupon-free level: the customer then sees the base price.
 *
 * @param propensity probability that this group's policy offers this level (1 for deterministic policies)
 * @param candidates every level's numbers, only with {@code ?explain=true}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Decision(String decisionId, String city, String userId, Integer level, double coupon, double price,
                       String currency, Double expectedConversion, String group, double propensity, double lambda,
                       String modelVersion, String rulesVersion, List<Reason> reasons, List<Candidate> candidates) {

    /** What the app is told of {@code record}; {@code explain} adds every level's numbers. */
    public static Decision of(DecisionRecord record, String currency, boolean explain) {
        return new Decision(record.decisionId(), record.city(), record.userId(), record.level(), record.coupon(),
                record.price(), currency, record.offered() ? record.expectedConversion() : null, record.group(),
                record.propensity(), record.lambda(), record.modelVersion(), record.rulesVersion(), record.reasons(),
                explain ? candidates(record) : null);
    }

    /** This decision's JSON, the response body (UTF-8). */
    public byte[] toJsonBytes() {
        return DecisionJson.encode(this);
    }

    private static List<Candidate> candidates(DecisionRecord record) {
        Levels l = record.levels();
        List<Candidate> candidates = new ArrayList<>(l.size());
        for (int j = 0; j < l.size(); j++) {
            candidates.add(new Candidate(j, l.coupons()[j], l.prices()[j], l.raw()[j], l.calibrated()[j],
                    l.values()[j], l.costs()[j], l.values()[j] - record.lambda() * l.costs()[j], l.allowed()[j]));
        }
        return candidates;
    }
}
