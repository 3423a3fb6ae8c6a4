package dev.allot.scoring.training;

import dev.allot.scoring.FeatureSchema;
import dev.allot.scoring.Ladder;

import java.util.List;
import java.util.SplittableRandom;

/**
 * A small market with a known ground truth, for the demo model, tests and benchmarks. Each customer has a
 * base utility and a price sensitivity; the observed features carry part of that information with noise.
 * Purchase probability at coupon {@code d} is {@code sigmoid(base + sensitivity * d)}, so the true curve
 * is increasing in the coupon. (The simulator of the paper's experiments is a separate, richer module.)
 */
public final class SyntheticMarket {

    public static final String COUPON = "coupon";
    public static final FeatureSchema SCHEMA = new FeatureSchema(
            List.of("rides_30d", "days_since_first_ride", "avg_fare", "hour", COUPON), COUPON);

    /** One arrival: features in {@link #SCHEMA} order (coupon column NaN), its segment, its true curve. */
    public record Customer(float[] features, String segment, double[] trueConversion) {
    }

    /** One row of exploration traffic: features with the offered coupon, the level, the purchase, the truth. */
    public record Logged(float[] features, int level, boolean converted, double truth, String segment) {
    }

    private final Ladder ladder;
    private final SplittableRandom random;
    private final double hiddenScale;

    public SyntheticMarket(Ladder ladder, long seed) {
        this(ladder, seed, 1.0);
    }

    private SyntheticMarket(Ladder ladder, long seed, double hiddenScale) {
        this.ladder = ladder;
        this.random = new SplittableRandom(seed);
        this.hiddenScale = hiddenScale;
    }

    /**
     * A market whose purchase probability depends on the observed features only (no hidden utility, no hidden
     * sensitivity), so the true probability is the best any model could learn: the yardstick for training.
     */
    public static SyntheticMarket fullyObserved(Ladder ladder, long seed) {
        return new SyntheticMarket(ladder, seed, 0.0);
    }

    public Customer next() {
        double activity = random.nextDouble();
        int rides = (int) Math.floor(-Math.log(1 - random.nextDouble()) * (2 + 18 * activity));
        double days = Math.floor(-Math.log(1 - random.nextDouble()) * 500);
        double avgFare = Math.exp(2.6 + 0.35 * gaussian());
        int hour = random.nextInt(24);
        double hidden = hiddenScale * 0.5 * gaussian();
        double base = -2.3 + 0.45 * Math.log1p(rides) + 0.25 * (avgFare - 14) / 5 - (days < 30 ? 0.4 : 0)
                + (hour >= 17 && hour <= 20 ? 0.2 : 0) + hidden;
        double sensitivity = 0.16 * Math.exp(hiddenScale * 0.35 * gaussian()) * (rides < 4 ? 1.4 : 0.8);
        double[] truth = new double[ladder.size()];
        for (int j = 0; j < truth.length; j++) {
            truth[j] = 1 / (1 + Math.exp(-(base + sensitivity * ladder.coupon(j))));
        }
        // Some apps do not send the tenure: the model must route a missing value.
        float tenure = random.nextDouble() < 0.08 ? Float.NaN : (float) days;
        float[] features = {rides, tenure, (float) avgFare, hour, Float.NaN};
        return new Customer(features, segmentOf(rides, days), truth);
    }

    public static String segmentOf(int rides, double days) {
        if (days < 30) {
            return "new";
        }
        if (rides == 0) {
            return "churned";
        }
        if (rides < 4) {
            return "low_frequency";
        }
        return rides < 12 ? "medium_frequency" : "high_frequency";
    }

    /**
     * Exploration traffic: each customer is offered a uniformly random level and buys with the true
     * probability. Returns rows in {@link #SCHEMA} order with the coupon filled in, and 0/1 labels.
     */
    public TrainingSet explorationLog(int rows) {
        int width = SCHEMA.size();
        float[] x = new float[rows * width];
        float[] y = new float[rows];
        for (int i = 0; i < rows; i++) {
            Logged row = logged();
            System.arraycopy(row.features(), 0, x, i * width, width);
            y[i] = row.converted() ? 1f : 0f;
        }
        return new TrainingSet(SCHEMA, x, y, rows);
    }

    /** One customer offered a uniformly random level (exploration traffic), and whether they bought. */
    public Logged logged() {
        Customer c = next();
        int level = random.nextInt(ladder.size());
        float[] features = c.features().clone();
        features[SCHEMA.couponIndex()] = (float) ladder.coupon(level);
        double truth = c.trueConversion()[level];
        return new Logged(features, level, random.nextDouble() < truth, truth, c.segment());
    }

    private double gaussian() {
        // Box-Muller: SplittableRandom has no nextGaussian on Java 17.
        double u1 = 1 - random.nextDouble();
        double u2 = random.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }
}
