package dev.allot.simulator;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A simulated city, read from {@code scenarios/*.json}. Prices and coupons in currency units.
 *
 * @param customersPerDay     arrivals on an average weekday
 * @param trainingDays        days of logged traffic (exploration plus campaigns) the model learns from
 * @param evaluationDays      days every strategy is run and compared on
 * @param minAveragePrice     the budget: the day's expected average paid price must stay at or above it
 * @param segments            customer segments with their utility shift, sensitivity scale and shares
 * @param intraday            relative arrival rate for each hour of the day (24 values)
 * @param weekendVolume       arrivals on Saturday and Sunday relative to a weekday
 * @param dailyDrift          shift of every customer's utility per day (the world changes under the model)
 * @param dailyShock          standard deviation of a shift of each segment's utility drawn afresh every day
 *                            (a competitor's promotion, the weather): what a plan made a day ahead cannot see
 * @param campaignCoverage    share of logged customers, the least willing, given the deepest coupon by an
 *                            earlier campaign: the confounding that bends raw curves
 * @param featureNoise        noise on the observed signals of utility and sensitivity
 * @param pid                 the live controller's gains; it ticks {@code ticksPerDay} times a day
 * @param rules               guardrail rule directory, relative to the scenario file (null: no rules); every
 *                            strategy may only offer the levels the rules allow each customer
 * @param attributes          share of users carrying each boolean attribute the app would send (e.g.
 *                            {@code fraud_risk}); a user keeps its attributes all week
 * @param campaigns           share of arrivals in each concurrent campaign (e.g. {@code spring-promo})
 * @param objective           the city's objective: revenue (default), conversions or profit
 * @param unitCost            cost of serving one purchase, for the profit objective
 */
public record Scenario(String name, long seed, int customersPerDay, int trainingDays, int evaluationDays,
                       double basePrice, double[] coupons, double minAveragePrice, List<Segment> segments,
                       double[] intraday, double weekendVolume, double dailyDrift, double dailyShock,
                       double campaignCoverage, double featureNoise, Pid pid, Model model, String rules,
                       Map<String, Double> attributes, Map<String, Double> campaigns, String objective,
                       Double unitCost) {

    /**
     * A customer segment: shares on weekdays and at weekends, utility shift, sensitivity multiplier, how often
     * one of its users comes back (visits a week, default 1: the pool of users is the week's arrivals), and
     * optionally its own 24 hourly weights (when its customers come differs from the city's pattern).
     */
    public record Segment(String name, double weekdayShare, double weekendShare, double utility, double sensitivity,
                          Double visitsPerWeek, double[] intraday) {

        public double visits() {
            return visitsPerWeek == null ? 1 : visitsPerWeek;
        }
    }

    /**
     * PID gains as the service's city config has them, how often the simulated controller ticks, and what it
     * measures: {@code expected} (the model's predicted average price of the decisions so far: immediate but
     * as biased as the model) or {@code realized} (the average price the buyers so far paid: unbiased).
     */
    public record Pid(double kp, double ki, double kd, int ticksPerDay, double lambdaMax, String steerOn) {
        public boolean realized() {
            return "realized".equals(steerOn);
        }
    }

    /**
     * The conversion model trained on the logs; {@code monotone} constrains it in the coupon (the shipped
     * trainer's default). The paper's LDM is the unconstrained model, so the default here is false.
     */
    public record Model(int rounds, int depth, double eta, int trainingRows, boolean monotone) {
    }

    public static Scenario read(Path file) throws IOException {
        Scenario s = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .readValue(file.toFile(), Scenario.class);
        s.validate(file.toString());
        if (s.rules() == null) {
            return s;
        }
        String rules = file.toAbsolutePath().getParent().resolve(s.rules()).normalize().toString();
        return new Scenario(s.name, s.seed, s.customersPerDay, s.trainingDays, s.evaluationDays, s.basePrice, s.coupons,
                s.minAveragePrice, s.segments, s.intraday, s.weekendVolume, s.dailyDrift, s.dailyShock,
                s.campaignCoverage, s.featureNoise, s.pid, s.model, rules, s.attributes, s.campaigns, s.objective,
                s.unitCost);
    }

    void validate(String source) {
        if (customersPerDay < 100 || trainingDays < 1 || evaluationDays < 1) {
            throw new IllegalArgumentException(source + ": customersPerDay >= 100, trainingDays and evaluationDays >= 1");
        }
        if (intraday == null || intraday.length != 24) {
            throw new IllegalArgumentException(source + ": intraday needs 24 hourly weights");
        }
        if (segments == null || segments.isEmpty()) {
            throw new IllegalArgumentException(source + ": at least one segment");
        }
        for (Segment segment : segments) {
            if (segment.intraday() != null && segment.intraday().length != 24) {
                throw new IllegalArgumentException(source + ": segment " + segment.name() + " intraday needs 24 hourly"
                        + " weights");
            }
            if (!(segment.visits() > 0)) {
                throw new IllegalArgumentException(source + ": segment " + segment.name() + " visitsPerWeek must be"
                        + " positive");
            }
        }
        for (Map<String, Double> shares : new ArrayList<>(Arrays.asList(attributes, campaigns))) {
            if (shares != null && shares.values().stream().anyMatch(v -> !(v >= 0 && v <= 1))) {
                throw new IllegalArgumentException(source + ": attribute and campaign shares must be in [0, 1]");
            }
        }
        if (!(campaignCoverage >= 0 && campaignCoverage < 1)) {
            throw new IllegalArgumentException(source + ": campaignCoverage in [0, 1)");
        }
    }

    /** Attribute names in a fixed order (each user carries a subset). */
    public List<String> attributeNames() {
        return attributes == null ? List.of() : new TreeMap<>(attributes).keySet().stream().toList();
    }

    /** Campaign names in a fixed order (each arrival is in a subset). */
    public List<String> campaignNames() {
        return campaigns == null ? List.of() : new TreeMap<>(campaigns).keySet().stream().toList();
    }

    public Scenario withCustomersPerDay(int customers) {
        return new Scenario(name, seed, customers, trainingDays, evaluationDays, basePrice, coupons,
                minAveragePrice, segments, intraday, weekendVolume, dailyDrift, dailyShock, campaignCoverage,
                featureNoise, pid, model, rules, attributes, campaigns, objective, unitCost);
    }

    public Scenario withCampaignCoverage(double coverage) {
        return new Scenario(name, seed, customersPerDay, trainingDays, evaluationDays, basePrice, coupons,
                minAveragePrice, segments, intraday, weekendVolume, dailyDrift, dailyShock, coverage, featureNoise,
                pid, model, rules, attributes, campaigns, objective, unitCost);
    }
}
