package dev.allot.app;

import dev.allot.app.decision.CityRuntime;
import dev.allot.control.CityTotals;
import dev.allot.control.PidState;
import dev.allot.control.redis.EmbeddedRedisExtension;
import dev.allot.engine.DecisionRequest;
import dev.allot.scoring.Ladder;
import dev.allot.scoring.training.SyntheticMarket;
import io.vertx.core.Context;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The control loop end to end on a simulated clock: arrivals decided by the service overspend at the starting
 * lambda; PID ticks (through Redis, with the lock) raise lambda until the day's average price meets its floor.
 */
class PidControlTest {

    @RegisterExtension
    static final EmbeddedRedisExtension REDIS = new EmbeddedRedisExtension();

    static final double TARGET = 15.0;
    static final String CITY = ServiceFixture.city("""
            { "constraint": { "target": %s }, "explorationShare": 0.0, "holdoutShare": 0.0,
              "pid": { "kp": 0.5, "ki": 0.0025, "kd": 0, "intervalSeconds": 60, "lambdaMin": 0, "lambdaMax": 20 },
              "initialLambda": 0.0 }
            """.formatted(TARGET));

    static ServiceFixture service;

    @BeforeAll
    static void start() throws Exception {
        service = ServiceFixture.start(REDIS, CITY);
    }

    @AfterAll
    static void stop() throws Exception {
        service.close();
    }

    /** The market's next customer as a request to the demo city. */
    static DecisionRequest arrival(SyntheticMarket market, String userId) {
        SyntheticMarket.Customer c = market.next();
        Map<String, Double> features = new LinkedHashMap<>();
        List<String> names = SyntheticMarket.SCHEMA.names();
        for (int f = 0; f < names.size() - 1; f++) {
            if (!Float.isNaN(c.features()[f])) {
                features.put(names.get(f), (double) c.features()[f]);
            }
        }
        return new DecisionRequest(null, "demo", userId, c.segment(), features, Map.of(), List.of(), null);
    }

    @Test
    void pidTicksRaiseLambdaUntilTheAveragePriceMeetsItsFloor() throws Exception {
        Context context = service.vertx().getOrCreateContext();
        CityRuntime city = service.service().decisions().city("demo");
        SyntheticMarket market = new SyntheticMarket(new Ladder(18, new double[]{0, 2, 4, 6, 8, 10}), 2026);
        int ticks = 60;
        int arrivalsPerTick = 120;
        double firstError = Double.NaN;
        double lambda = 0;
        Map<Integer, Double> averageByTick = new LinkedHashMap<>();
        for (int t = 0; t < ticks; t++) {
            for (int a = 0; a < arrivalsPerTick; a++) {
                DecisionRequest request = arrival(market, "user-" + t + "-" + a);
                service.service().decisions().decide(request, false, context).toCompletionStage()
                        .toCompletableFuture().get(5, TimeUnit.SECONDS);
            }
            service.clock.advance(Duration.ofSeconds(60));
            Optional<PidState> state = service.service().controller().tick(city, context).toCompletionStage()
                    .toCompletableFuture().get(5, TimeUnit.SECONDS);
            assertThat(state).as("this replica holds the city's lock").isPresent();
            lambda = state.get().lambda();
            if (t == 0) {
                firstError = state.get().lastError();
            }
            service.flushAndRefresh();
            averageByTick.put(t, city.totals().expectedAveragePrice());
        }
        CityTotals totals = city.totals();
        double average = totals.expectedAveragePrice();
        assertThat(firstError).as("the starting lambda overspends: average price below the floor").isGreaterThan(0.5);
        assertThat(lambda).as("lambda rose from 0").isGreaterThan(0.5);
        assertThat(Math.abs(average - TARGET)).as("end-of-day average price %s vs target %s; by tick %s",
                average, TARGET, averageByTick).isLessThan(0.05 * Math.abs(firstError));
        // Settled, not crossing by luck: the last ten ticks all sit within 0.5% of the floor, and the
        // overshoot on the way stayed under 2%.
        averageByTick.forEach((t, avg) -> {
            if (t >= ticks - 10) {
                assertThat(Math.abs(avg - TARGET) / TARGET).as("tick %d average %s", t, avg).isLessThan(0.005);
            }
            assertThat(avg).as("tick %d average %s", t, avg).isLessThan(TARGET * 1.02);
        });
        assertThat(totals.decisions()).isEqualTo((long) ticks * arrivalsPerTick);
        // Every replica reads the controller's lambda back from Redis.
        assertThat(service.state("demo").body().get("lambda").asDouble()).isEqualTo(lambda);
        assertThat(service.state("demo").body().get("pid").get("ticks").asLong()).isEqualTo(ticks);
    }
}
