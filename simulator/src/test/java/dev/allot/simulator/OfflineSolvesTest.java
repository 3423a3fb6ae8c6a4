package dev.allot.simulator;

import dev.allot.control.offline.DualSolver;
import dev.allot.control.offline.Population;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class OfflineSolvesTest {

    @Test
    void theExactLambdaIsOnTheFeasibleSideEvenWhenFloatingPointMovesTheSwitch() throws IOException {
        // A population (1,000,000 customers, day 2 of the default market) where the argmax's own floating-point
        // switch lies a few ulps beyond the computed crossing: the returned policy must still be within budget.
        Scenario scenario = Scenario.read(Path.of("..", "scenarios", "default.json")).withCustomersPerDay(1_000_000);
        Market market = new Market(scenario);
        Market.Day day = market.day(2);
        Simulation simulation = new Simulation(scenario);
        DualSolver.Solution solution = DualSolver.solve(simulation.pricing(),
                new Population(market.trueCurves(day), day.n(), market.ladder().size()));
        assertThat(solution.constraintUsage()).isLessThanOrEqualTo(0);
    }

    @Test
    void offlineIpGivesEveryGroupOneLevelWithinBudgetAndCustomersBeatGroups() throws IOException {
        Scenario scenario = Scenario.read(Path.of("..", "scenarios", "small.json"));
        List<Experiments.SolveRow> rows = new Experiments(scenario).table34(new int[]{60_000});
        assertThat(rows).hasSize(3);
        Experiments.SolveRow ip = rows.get(0);
        Experiments.SolveRow byGroup = rows.get(1);
        Experiments.SolveRow byCustomer = rows.get(2);
        assertThat(ip.status()).isEqualTo("OPTIMAL");
        for (Experiments.SolveRow r : rows) {
            assertThat(r.usage()).as(r.method()).isLessThanOrEqualTo(0);
        }
        // Deciding per customer is at least as good as any grouping of the same customers.
        assertThat(byCustomer.objective()).isGreaterThanOrEqualTo(ip.objective()).isGreaterThanOrEqualTo(byGroup.objective());
    }
}
