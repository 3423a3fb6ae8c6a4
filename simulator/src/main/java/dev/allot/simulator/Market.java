package dev.allot.simulator;

import dev.allot.scoring.FeatureSchema;
import dev.allot.scoring.Ladder;
import dev.allot.scoring.StableHash;
import dev.allot.scoring.training.TrainingSet;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The ground truth. Customer i has a base utility {@code u_i ~ N(0, 1)} (plus its segment's shift and the
 * day's drift) and a price sensitivity {@code s_i ~ LogNormal(0, 1)} (times its segment's scale), as in the
 * paper's appendix, and buys at price {@code p} with probability
 *
 * <pre>  r_i(p) = sigmoid(INTERCEPT + u_i - s_i (p - 8) / 4)</pre>
 *
 * so a cheaper price never lowers the probability. The model sees only noisy signals of {@code u} and
 * {@code log s}, the segment and the hour.
 */
public final class Market {

    public static final String COUPON = "coupon";
    public static final FeatureSchema SCHEMA = new FeatureSchema(
            List.of("utility_signal", "sensitivity_signal", "segment", "hour", COUPON), COUPON);
    static final double INTERCEPT = -0.6;

    /**
     * One day's arrivals in arrival order.
     *
     * @param user user ids: each segment has its own pool, sized so its users come back
     *             {@link Scenario.Segment#visits()} times a week
     * @param tags per arrival, bit {@code a} set when the user carries attribute {@code a} of
     *             {@link Scenario#attributeNames()}, bit {@code A + c} when the arrival is in campaign {@code c} of
     *             {@link Scenario#campaignNames()}
     */
    public record Day(int index, boolean weekend, int n, double[] utility, double[] sensitivity, int[] segment,
                      int[] second, float[] features, int[] user, int[] tags) {
    }

    private final Scenario scenario;
    private final Ladder ladder;

    public Market(Scenario scenario) {
        this.scenario = scenario;
        this.ladder = new Ladder(scenario.basePrice(), scenario.coupons());
    }

    public Ladder ladder() {
        return ladder;
    }

    public Scenario scenario() {
        return scenario;
    }

    public Day day(int index) {
        SplittableRandom random = new SplittableRandom(scenario.seed() * 1_000_003L + index);
        boolean weekend = index % 7 == 5 || index % 7 == 6;
        int n = (int) Math.round(scenario.customersPerDay() * (weekend ? scenario.weekendVolume() : 1.0));
        List<Scenario.Segment> segments = scenario.segments();
        double[] shares = segments.stream().mapToDouble(s -> weekend ? s.weekendShare() : s.weekdayShare()).toArray();
        double[] hourWeights = scenario.intraday();
        // The day's shocks, one per segment, from their own stream so that the customers drawn stay the same.
        SplittableRandom shocks = new SplittableRandom(scenario.seed() * 7_919L + index);
        double[] shock = new double[segments.size()];
        for (int s = 0; s < shock.length; s++) {
            shock[s] = scenario.dailyShock() * gaussian(shocks);
        }
        double[] utility = new double[n];
        double[] sensitivity = new double[n];
        int[] segment = new int[n];
        int[] second = new int[n];
        for (int i = 0; i < n; i++) {
            int seg = pick(shares, random.nextDouble());
            Scenario.Segment s = segments.get(seg);
            segment[i] = seg;
            utility[i] = gaussian(random) + s.utility() + scenario.dailyDrift() * index + shock[seg];
            sensitivity[i] = Math.exp(gaussian(random)) * s.sensitivity();
            double[] hours = s.intraday() != null ? s.intraday() : hourWeights;
            second[i] = pick(hours, random.nextDouble()) * 3600 + random.nextInt(3600);
        }
        // Arrival order: sort everything by time of day.
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Integer.compare(second[a], second[b]));
        double[] u = new double[n];
        double[] sv = new double[n];
        int[] sg = new int[n];
        int[] sec = new int[n];
        int width = SCHEMA.size();
        float[] features = new float[n * width];
        for (int k = 0; k < n; k++) {
            int i = order[k];
            u[k] = utility[i];
            sv[k] = sensitivity[i];
            sg[k] = segment[i];
            sec[k] = second[i];
            features[k * width] = (float) (u[k] + scenario.featureNoise() * gaussian(random));
            features[k * width + 1] = (float) (Math.log(sv[k]) + scenario.featureNoise() * gaussian(random));
            features[k * width + 2] = sg[k];
            features[k * width + 3] = sec[k] / 3600;
            features[k * width + 4] = Float.NaN;
        }
        int[][] who = users(index, sg);
        return new Day(index, weekend, n, u, sv, sg, sec, features, who[0], who[1]);
    }

    /**
     * Who each arrival is and what the app would send about them, from streams of their own so that the
     * customers above stay the same whatever is configured here.
     */
    private int[][] users(int index, int[] segmentOf) {
        List<Scenario.Segment> segments = scenario.segments();
        int[] pool = new int[segments.size()];
        int[] offset = new int[segments.size()];
        for (int s = 0, next = 0; s < pool.length; s++) {
            Scenario.Segment seg = segments.get(s);
            double weekly = scenario.customersPerDay() * (5 * seg.weekdayShare() / total(segments, false)
                    + 2 * scenario.weekendVolume() * seg.weekendShare() / total(segments, true));
            pool[s] = (int) Math.max(1, Math.round(weekly / seg.visits()));
            offset[s] = next;
            next += pool[s];
        }
        List<String> attributes = scenario.attributeNames();
        List<String> campaigns = scenario.campaignNames();
        double[] campaignShare = campaigns.stream().mapToDouble(c -> scenario.campaigns().get(c)).toArray();
        SplittableRandom random = new SplittableRandom(scenario.seed() * 31_337L + index);
        int n = segmentOf.length;
        int[] user = new int[n];
        int[] tags = new int[n];
        for (int i = 0; i < n; i++) {
            int s = segmentOf[i];
            user[i] = offset[s] + random.nextInt(pool[s]);
            int t = 0;
            for (int a = 0; a < attributes.size(); a++) {
                if (StableHash.unit(scenario.seed() + a, attributes.get(a), Integer.toString(user[i]))
                        < scenario.attributes().get(attributes.get(a))) {
                    t |= 1 << a;
                }
            }
            for (int c = 0; c < campaignShare.length; c++) {
                if (random.nextDouble() < campaignShare[c]) {
                    t |= 1 << (attributes.size() + c);
                }
            }
            tags[i] = t;
        }
        return new int[][]{user, tags};
    }

    private static double total(List<Scenario.Segment> segments, boolean weekend) {
        return segments.stream().mapToDouble(s -> weekend ? s.weekendShare() : s.weekdayShare()).sum();
    }

    public double truth(Day day, int i, int level) {
        double price = ladder.price(level);
        return 1 / (1 + Math.exp(-(INTERCEPT + day.utility()[i] - day.sensitivity()[i] * (price - 8) / 4)));
    }

    /** True purchase probability at every level for every arrival: {@code n * K}, row-major. */
    public double[] trueCurves(Day day) {
        int k = ladder.size();
        double[] r = new double[day.n() * k];
        for (int i = 0; i < day.n(); i++) {
            for (int j = 0; j < k; j++) {
                r[i * k + j] = truth(day, i, j);
            }
        }
        return r;
    }

    /**
     * What the logs of a past day hold: most customers were offered a uniformly random level (exploration),
     * but an earlier campaign gave its deepest coupon to the least willing {@code campaignCoverage} of them.
     * The model does not see who was in the campaign, so deep coupons look less effective than they are.
     */
    public TrainingSet log(Day day, int rows, SplittableRandom random) {
        int n = Math.min(rows, day.n());
        int width = SCHEMA.size();
        int k = ladder.size();
        double[] sortedUtility = Arrays.copyOf(day.utility(), day.n());
        Arrays.sort(sortedUtility);
        double campaignCut = scenario.campaignCoverage() <= 0 ? Double.NEGATIVE_INFINITY
                : sortedUtility[(int) Math.floor(scenario.campaignCoverage() * (day.n() - 1))];
        float[] x = new float[n * width];
        float[] y = new float[n];
        for (int r = 0; r < n; r++) {
            int i = (int) ((long) r * day.n() / n);
            int level = day.utility()[i] <= campaignCut ? k - 1 : random.nextInt(k);
            System.arraycopy(day.features(), i * width, x, r * width, width);
            x[r * width + SCHEMA.couponIndex()] = (float) ladder.coupon(level);
            y[r] = random.nextDouble() < truth(day, i, level) ? 1f : 0f;
        }
        return new TrainingSet(SCHEMA, x, y, n);
    }

    static int pick(double[] weights, double u) {
        double total = 0;
        for (double w : weights) {
            total += w;
        }
        double acc = 0;
        for (int i = 0; i < weights.length; i++) {
            acc += weights[i] / total;
            if (u < acc) {
                return i;
            }
        }
        return weights.length - 1;
    }

    static double gaussian(SplittableRandom random) {
        double u1 = 1 - random.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * random.nextDouble());
    }
}
