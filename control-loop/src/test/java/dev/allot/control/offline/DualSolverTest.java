package dev.allot.control.offline;

import com.google.ortools.Loader;
import com.google.ortools.linearsolver.MPConstraint;
import com.google.ortools.linearsolver.MPObjective;
import com.google.ortools.linearsolver.MPSolver;
import com.google.ortools.linearsolver.MPVariable;
import dev.allot.control.BudgetConstraint;
import dev.allot.control.Objective;
import dev.allot.control.Pricing;
import dev.allot.scoring.Ladder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class DualSolverTest {

    private static final Ladder LADDER = new Ladder(18, new double[]{0, 2, 4, 6, 8, 10});

    @BeforeAll
    static void loadOrTools() {
        Loader.loadNativeLibraries();
    }

    /** The LP relaxation solved by OR-Tools' GLOP: its optimum and the budget constraint's dual value. */
    record Lp(double objective, double lambda) {
    }

    static Lp orTools(Pricing pricing, Population population) {
        MPSolver solver = MPSolver.createSolver("GLOP");
        int n = population.arrivals();
        int k = population.levels();
        MPObjective objective = solver.objective();
        objective.setMaximization();
        MPConstraint budget = solver.makeConstraint(Double.NEGATIVE_INFINITY, 0, "budget");
        for (int i = 0; i < n; i++) {
            MPConstraint one = solver.makeConstraint(1, 1, "one-" + i);
            for (int j = 0; j < k; j++) {
                if (population.allowed() != null && !population.allowed()[i * k + j]) {
                    continue;
                }
                MPVariable x = solver.makeNumVar(0, 1, "x" + i + "_" + j);
                double r = population.r()[i * k + j];
                double price = pricing.ladder().price(j);
                objective.setCoefficient(x, pricing.objective().value(r, price, pricing.unitCost()));
                budget.setCoefficient(x, pricing.constraint().cost(r, price, pricing.ladder().coupon(j)));
                one.setCoefficient(x, 1);
            }
        }
        assertThat(solver.solve()).isEqualTo(MPSolver.ResultStatus.OPTIMAL);
        Lp lp = new Lp(objective.value(), Math.abs(budget.dualValue()));
        solver.delete();
        return lp;
    }

    static Population randomPopulation(SplittableRandom random, int n) {
        double[] r = new double[n * LADDER.size()];
        for (int i = 0; i < n; i++) {
            double p = 0.02 + random.nextDouble() * 0.4;
            for (int j = 0; j < LADDER.size(); j++) {
                r[i * LADDER.size() + j] = Math.min(1, p);
                p += random.nextDouble() * 0.1;
            }
        }
        return new Population(r, n, LADDER.size());
    }

    @Test
    void agreesWithOrToolsOnRandomPriceFloorInstances() {
        SplittableRandom random = new SplittableRandom(42);
        int binding = 0;
        for (int instance = 0; instance < 25; instance++) {
            Population population = randomPopulation(random, 150 + random.nextInt(150));
            Pricing free = new Pricing(LADDER, Objective.REVENUE, new BudgetConstraint.AveragePriceFloor(1), 0);
            DualSolver.PolicyValue unconstrained = DualSolver.policy(free, population, 0);
            double p0 = averagePrice(population, free, 0);
            double floor = p0 + (17.5 - p0) * random.nextDouble();
            Pricing pricing = new Pricing(LADDER, Objective.REVENUE, new BudgetConstraint.AveragePriceFloor(floor), 0);
            checkAgainstLp(pricing, population);
            binding += DualSolver.solve(pricing, population).lambda() > 0 ? 1 : 0;
            assertThat(unconstrained.objective()).isPositive();
        }
        assertThat(binding).as("instances where the budget binds").isGreaterThan(20);
    }

    @Test
    void agreesWithOrToolsOnSpendAndOtherObjectives() {
        SplittableRandom random = new SplittableRandom(7);
        Objective[] objectives = Objective.values();
        for (int instance = 0; instance < 15; instance++) {
            Population population = randomPopulation(random, 100 + random.nextInt(200));
            Pricing pricing = new Pricing(LADDER, objectives[instance % objectives.length],
                    new BudgetConstraint.SpendPerArrival(0.3 + random.nextDouble()), 5);
            checkAgainstLp(pricing, population);
        }
    }

    private static void checkAgainstLp(Pricing pricing, Population population) {
        DualSolver.Solution exact = DualSolver.solve(pricing, population);
        Lp lp = orTools(pricing, population);
        assertThat(exact.feasible()).isTrue();
        assertThat(relative(exact.lambda(), lp.lambda())).as("lambda %s vs LP %s", exact.lambda(), lp.lambda())
                .isLessThanOrEqualTo(1e-6);
        assertThat(relative(exact.lpObjective(), lp.objective())).as("objective").isLessThanOrEqualTo(1e-6);
        assertThat(exact.constraintUsage()).as("integral policy within budget").isLessThanOrEqualTo(1e-9);
        assertThat(exact.integralObjective()).isLessThanOrEqualTo(exact.lpObjective() + 1e-9);
        // The LP has at most one fractional arrival: the integral policy loses less than one arrival's value.
        double largestValue = Arrays.stream(population.r()).max().orElse(0) * LADDER.basePrice();
        assertThat(exact.lpObjective() - exact.integralObjective()).isLessThanOrEqualTo(largestValue + 1e-9);
        assertThat(Arrays.stream(exact.levelShares()).sum()).isCloseTo(1.0, within(1e-12));
    }

    @Test
    void respectsTheLevelsGuardrailsForbidAndStillAgreesWithOrTools() {
        SplittableRandom random = new SplittableRandom(21);
        for (int instance = 0; instance < 10; instance++) {
            Population plain = randomPopulation(random, 200);
            int k = LADDER.size();
            boolean[] allowed = new boolean[plain.r().length];
            for (int i = 0; i < plain.arrivals(); i++) {
                int cap = random.nextDouble() < 0.3 ? 2 : k - 1;
                for (int j = 0; j < k; j++) {
                    allowed[i * k + j] = j <= cap && !(j == 3 && random.nextDouble() < 0.2);
                }
            }
            Population population = new Population(plain.r(), plain.arrivals(), k, allowed);
            Pricing pricing = new Pricing(LADDER, Objective.REVENUE, new BudgetConstraint.AveragePriceFloor(14.5), 0);
            checkAgainstLp(pricing, population);
            // Forbidding options can only lower the optimum.
            assertThat(DualSolver.solve(pricing, population).lpObjective())
                    .isLessThanOrEqualTo(DualSolver.solve(pricing, plain).lpObjective() + 1e-9);
        }
    }

    @Test
    void lambdaIsZeroWhenTheUnconstrainedPolicyIsWithinBudget() {
        Population population = randomPopulation(new SplittableRandom(1), 200);
        Pricing loose = new Pricing(LADDER, Objective.REVENUE, new BudgetConstraint.AveragePriceFloor(5), 0);
        DualSolver.Solution s = DualSolver.solve(loose, population);
        assertThat(s.lambda()).isZero();
        assertThat(s.constraintUsage()).isNegative();
        assertThat(s.lpObjective()).isCloseTo(s.integralObjective(), within(1e-9));
    }

    @Test
    void reportsAnInfeasibleBudget() {
        Population population = randomPopulation(new SplittableRandom(2), 100);
        Pricing impossible = new Pricing(LADDER, Objective.REVENUE, new BudgetConstraint.AveragePriceFloor(17.9), 0);
        // Level 0 sells at 18 >= 17.9, so a floor of 17.9 is still feasible; 18.5 is above every price.
        assertThat(DualSolver.solve(impossible, population).feasible()).isTrue();
        Pricing above = new Pricing(LADDER, Objective.REVENUE, new BudgetConstraint.AveragePriceFloor(18.5), 0);
        DualSolver.Solution s = DualSolver.solve(above, population);
        assertThat(s.feasible()).isFalse();
        assertThat(s.constraintUsage()).isPositive();
        assertThat(s.levelShares()[0]).isEqualTo(1.0);
    }

    @Test
    void trisectionApproachesTheExactLambdaAndCountsItsIterations() {
        Population population = randomPopulation(new SplittableRandom(3), 2_000);
        Pricing pricing = new Pricing(LADDER, Objective.REVENUE, new BudgetConstraint.AveragePriceFloor(15), 0);
        DualSolver.Solution exact = DualSolver.solve(pricing, population);
        DualSolver.Trisection tri = DualSolver.trisect(pricing, population, 50, 1e-9);
        assertThat(tri.iterations()).isGreaterThan(50);
        assertThat(tri.lambda()).isCloseTo(exact.lambda(), within(1e-6));
        assertThat(tri.dual()).isCloseTo(exact.lpObjective(), within(1e-6 * Math.abs(exact.lpObjective())));
    }

    @Test
    void crossingMatchesASortedSweepOnLargeInputsWithTies() {
        SplittableRandom random = new SplittableRandom(9);
        int m = 200_000;
        double[] t = new double[m];
        double[] drop = new double[m];
        for (int i = 0; i < m; i++) {
            t[i] = i % 10 == 0 ? 0.5 : Math.exp(random.nextDouble() * 8 - 4);
            drop[i] = random.nextDouble();
        }
        Integer[] order = new Integer[m];
        for (int i = 0; i < m; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(t[a], t[b]));
        double total = Arrays.stream(drop).sum();
        for (double fraction : new double[]{0.001, 0.1, 0.37, 0.5, 0.9, 0.999999}) {
            double need = total * fraction;
            double acc = 0;
            double expected = Double.NaN;
            for (Integer b : order) {
                acc += drop[b];
                if (acc >= need) {
                    expected = t[b];
                    break;
                }
            }
            assertThat(DualSolver.crossing(t, drop, m, need)).as("fraction %s", fraction).isEqualTo(expected);
        }
        assertThat(DualSolver.crossing(t, drop, m, total * 1.01)).isInfinite();
    }

    private static double averagePrice(Population population, Pricing pricing, double lambda) {
        double sumR = 0;
        double sumRp = 0;
        int k = population.levels();
        double[] v = new double[k];
        double[] c = new double[k];
        boolean[] all = new boolean[k];
        Arrays.fill(all, true);
        for (int i = 0; i < population.arrivals(); i++) {
            for (int j = 0; j < k; j++) {
                double r = population.r()[i * k + j];
                v[j] = pricing.objective().value(r, LADDER.price(j), 0);
                c[j] = pricing.constraint().cost(r, LADDER.price(j), LADDER.coupon(j));
            }
            int j = dev.allot.control.LambdaArgmax.choose(v, c, all, lambda);
            sumR += population.r()[i * k + j];
            sumRp += population.r()[i * k + j] * LADDER.price(j);
        }
        return sumRp / sumR;
    }

    private static double relative(double a, double b) {
        return Math.abs(a - b) / Math.max(1e-12, Math.max(Math.abs(a), Math.abs(b)));
    }
}
