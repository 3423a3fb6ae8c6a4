package dev.allot.app;

import com.fasterxml.jackson.databind.JsonNode;
import dev.allot.app.cli.ExportCommand;
import dev.allot.app.cli.ReplayCommand;
import dev.allot.control.redis.EmbeddedRedisExtension;
import dev.allot.engine.CitySetup;
import dev.allot.engine.DecisionCodec;
import dev.allot.engine.DecisionRecord;
import dev.allot.engine.Json;
import dev.allot.engine.config.CityConfig;
import dev.allot.engine.config.ConfigLoader;
import dev.allot.engine.replay.Replay;
import dev.allot.engine.replay.ReplayReport;
import dev.allot.rules.GuardrailRules;
import dev.allot.scoring.ModelBundle;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Decisions recorded by the running service (embedded Redis, the shipped model and rules, exploration and
 * holdout traffic, the PID moving lambda, coupon histories and totals that the rules read) replay through the
 * engine to exactly the recorded levels; a candidate rule set changes exactly the decisions it should.
 */
class ReplayTest {

    @RegisterExtension
    static final EmbeddedRedisExtension REDIS = new EmbeddedRedisExtension();

    static final String[] SEGMENTS = {"low_frequency", "low_frequency", "low_frequency", "new", "high_frequency",
            "medium_frequency", "churned"};
    static final int DECISIONS = 1_200;

    static ServiceFixture service;
    static Path cityFile;
    static Path csv;
    static List<DecisionRecord> recorded = new ArrayList<>();

    @BeforeAll
    static void recordTraffic() throws Exception {
        String city = ServiceFixture.city("""
                { "explorationShare": 0.2, "holdoutShare": 0.1, "holdoutLevel": 2,
                  "pid": { "kp": 0.2, "intervalSeconds": 600 } }
                """);
        service = ServiceFixture.start(REDIS, city);
        cityFile = Files.createTempDirectory("allot-replay").resolve("demo.json");
        Files.writeString(cityFile, city.replace("MODEL", ServiceFixture.SHIPPED_MODEL.toString()));
        SplittableRandom random = new SplittableRandom(11);
        for (int i = 0; i < DECISIONS; i++) {
            // 300 users over 1,200 arrivals: the weekly coupon limit binds for the frequent ones.
            String body = """
                    { "city": "demo", "userId": "u-%d", "segment": "%s", %s
                      "features": { "rides_30d": %d, "days_since_first_ride": %d, "avg_fare": %.2f, "hour": %d },
                      "attributes": { "fraud_risk": %s, "has_subscription": %s },
                      "campaigns": [%s] }
                    """.formatted(random.nextInt(300), SEGMENTS[random.nextInt(SEGMENTS.length)],
                    i % 5 == 0 ? "\"requestId\": \"r-" + i + "\"," : "", random.nextInt(40),
                    random.nextInt(900), 8 + 20 * random.nextDouble(), random.nextInt(24),
                    random.nextInt(40) == 0, random.nextInt(30) == 0,
                    random.nextInt(25) == 0 ? "\"vip-exclusive\"" : random.nextInt(6) == 0 ? "\"spring-promo\"" : "");
            ServiceFixture.Response r = service.post("/v1/decisions", body);
            assertThat(r.status()).as(r.text()).isEqualTo(200);
            if (i % 100 == 99) {
                // Histories and totals reach Redis and come back: later decisions see them, and lambda moves.
                service.clock.advance(Duration.ofMinutes(11));
                service.flushAndRefresh();
                var demo = service.service().decisions().city("demo");
                service.service().controller().tick(demo, service.vertx().getOrCreateContext()).toCompletionStage()
                        .toCompletableFuture().get(5, TimeUnit.SECONDS);
                service.flushAndRefresh();
            }
        }
        service.flushAndRefresh();
        csv = cityFile.resolveSibling("decisions.csv");
        assertThat(new CommandLine(new ExportCommand()).execute("--city", "demo", "--out", csv.toString(),
                "--redis-url", REDIS.url())).isZero();
        DecisionCodec.readCsv(csv, recorded::add);
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    private static Replay.Candidate candidate(Path rules) {
        CityConfig config = ConfigLoader.loadCity(cityFile);
        CitySetup setup = CitySetup.of(config, ModelBundle.load(config.model()));
        return new Replay.Candidate(setup, GuardrailRules.compile(rules, setup.ruleVocabulary()),
                OptionalDouble.empty(), Replay.Curves.RECORDED);
    }

    @Test
    void theRecordedTrafficIsRichEnoughToTestReplay() {
        assertThat(recorded).hasSize(DECISIONS);
        Map<String, Long> groups = new HashMap<>();
        Map<String, Long> rules = new HashMap<>();
        recorded.forEach(r -> {
            groups.merge(r.group(), 1L, Long::sum);
            r.reasons().forEach(reason -> rules.merge(reason.rule(), 1L, Long::sum));
        });
        assertThat(groups).containsKeys("optimized", "exploration", "holdout");
        assertThat(rules).containsKeys("weekly-coupon-limit", "cap-high-frequency", "no-coupon-fraud-risk",
                "no-coupon-subscriber", "exclusive-campaign", "combined-discount-ceiling");
        assertThat(recorded.stream().mapToDouble(DecisionRecord::lambda).distinct().count()).isGreaterThan(1);
    }

    @Test
    void replayingWithWhatWasLiveReproducesEveryLevel() {
        ReplayReport report = Replay.run(recorded, candidate(service.rulesDir()));

        assertThat(report.total().decisions()).isEqualTo(DECISIONS);
        assertThat(report.total().changed()).isZero();
        assertThat(report.examples()).isEmpty();
        assertThat(report.total().spendDelta()).isZero();
        report.transitions().forEach((from, to) -> assertThat(to).containsOnlyKeys(from));
    }

    @Test
    void theStreamInRedisReplaysLikeTheExport() throws Exception {
        Path out = csv.resolveSibling("from-redis.json");
        assertThat(new CommandLine(new ReplayCommand()).execute("--redis-url", REDIS.url(), "--city-config",
                cityFile.toString(), "--rules-dir", service.rulesDir().toString(), "--out", out.toString())).isZero();
        JsonNode report = Json.MAPPER.readTree(out.toFile());
        assertThat(report.at("/total/decisions").asLong()).isEqualTo(DECISIONS);
        assertThat(report.at("/total/changed").asLong()).isZero();
    }

    @Test
    void aCapOnOneSegmentChangesExactlyThatSegmentsDecisions() throws Exception {
        Path rules = Files.createTempDirectory("allot-candidate-rules");
        try (Stream<Path> files = Files.list(service.rulesDir())) {
            for (Path f : files.toList()) {
                Files.copy(f, rules.resolve(f.getFileName()));
            }
        }
        Files.writeString(rules.resolve("candidate.drl"), """
                package dev.allot.guardrails;
                import dev.allot.rules.Arrival;
                import dev.allot.rules.Verdict;
                rule "no-coupon-churned"
                when
                    $v : Verdict()
                    Arrival( segment == "churned" )
                then
                    $v.capMaxLevel(0);
                end
                """);

        ReplayReport report = Replay.run(recorded, candidate(rules));

        // Directly: a churned arrival now gets the coupon-free level 0, whatever its group; no one else changes.
        long churnedWithCoupon = recorded.stream()
                .filter(r -> r.segment().equals("churned") && r.level() != 0).count();
        assertThat(churnedWithCoupon).isPositive();
        assertThat(report.bySegment().get("churned").changed()).isEqualTo(churnedWithCoupon);
        assertThat(report.total().changed()).isEqualTo(churnedWithCoupon);
        report.bySegment().forEach((segment, impact) -> {
            if (!segment.equals("churned")) {
                assertThat(impact.changed()).as(segment).isZero();
                assertThat(impact.spendDelta()).as(segment).isZero();
            }
        });
        Map<String, Long> toZero = new HashMap<>();
        recorded.stream().filter(r -> r.segment().equals("churned") && r.level() != 0)
                .forEach(r -> toZero.merge(r.level().toString(), 1L, Long::sum));
        toZero.forEach((from, n) -> assertThat(report.transitions().get(from).get("0")).isEqualTo(n));
        double spendBefore = recorded.stream().filter(r -> r.segment().equals("churned"))
                .mapToDouble(r -> r.expectedConversion() * r.coupon()).sum();
        assertThat(report.bySegment().get("churned").spendDelta()).isCloseTo(-spendBefore, within(1e-9));
        assertThat(report.examples()).allSatisfy(c -> assertThat(c.rules()).contains("no-coupon-churned"));
    }
}
