package dev.allot.bench;

import dev.allot.app.decision.CityRuntime;
import dev.allot.control.BudgetConstraint;
import dev.allot.control.Objective;
import dev.allot.control.PidGains;
import dev.allot.control.TradingDay;
import dev.allot.engine.CitySetup;
import dev.allot.engine.Decision;
import dev.allot.engine.DecisionCodec;
import dev.allot.engine.DecisionContext;
import dev.allot.engine.DecisionEngine;
import dev.allot.engine.DecisionRecord;
import dev.allot.engine.DecisionRequest;
import dev.allot.engine.config.CityConfig;
import dev.allot.rules.Arrival;
import dev.allot.rules.GuardrailRules;
import dev.allot.rules.RuleVocabulary;
import dev.allot.rules.LevelCandidate;
import dev.allot.rules.RuleSet;
import dev.allot.scoring.ConversionScorer;
import dev.allot.scoring.Ladder;
import dev.allot.scoring.ModelBundle;
import dev.allot.scoring.ModelCard;
import dev.allot.scoring.TreeEnsemble;
import dev.allot.scoring.XGBoostModel;
import dev.allot.scoring.training.ModelTrainer;
import dev.allot.scoring.training.SyntheticMarket;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One arrival's in-process decision as the service makes it (DecisionEngine: feature vector, 6-level
 * curve from a 200-tree depth-6 model, isotonic calibration, the shipped Drools guardrails, the
 * lambda-argmax, the decision record and the event appended to the write-behind log), and its parts: the Java evaluator against native XGBoost4J for the same
 * 6 rows, and the rules alone. Arrivals cycle through 4,096 distinct synthetic customers.
 */
@State(Scope.Benchmark)
public class DecisionBenchmark {

    private static final Ladder LADDER = new Ladder(18, new double[]{0, 2, 4, 6, 8, 10});
    private static final int ARRIVALS = 4_096;

    @Param({"200"})
    public int trees;

    @Param({"6"})
    public int depth;

    @Param({"../rules/guardrails"})
    public String rulesDir;

    private XGBoostModel nativeModel;
    private TreeEnsemble evaluator;
    private CityRuntime city;
    private RuleSet rules;
    private DecisionRequest[] requests;
    private float[][] rows;
    private final DecisionContext context = new DecisionContext(1, true, 10_000, 2_500, 400);
    private String[] ids;
    private final Instant now = Instant.parse("2026-11-23T10:00:00Z");
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        SyntheticMarket market = new SyntheticMarket(LADDER, 3);
        nativeModel = ModelTrainer.train(market.explorationLog(50_000),
                new ModelTrainer.Parameters(trees, depth, 0.1, false, 1, 2));
        evaluator = TreeEnsemble.read(nativeModel.toJson(), SyntheticMarket.SCHEMA);
        double diff = ModelBundle.maxDifference(evaluator, nativeModel, 10_000, 5);
        if (diff > 1e-6) {
            throw new IllegalStateException("evaluator differs from XGBoost4J by " + diff);
        }
        ModelCard card = new ModelCard("bench", SyntheticMarket.SCHEMA.names(), SyntheticMarket.COUPON, null,
                null, 50_000, null, null, null, "DecisionBenchmark");
        CityConfig config = new CityConfig("bench", "CNY", LADDER, Objective.REVENUE, 0,
                new BudgetConstraint.AveragePriceFloor(14.5), 0.0, 0.0, 0, new PidGains(0.15, 0, 30, 60, 0, 10),
                0.6, false, new TradingDay(ZoneId.of("Asia/Shanghai"), LocalTime.of(4, 0)), Path.of("."),
                new RuleVocabulary(Map.of("fraud_risk", RuleVocabulary.Type.BOOLEAN,
                        "has_subscription", RuleVocabulary.Type.BOOLEAN), Set.of()), "local");
        city = new CityRuntime(CitySetup.of(config, new ModelBundle(card, evaluator, Path.of("."))));
        GuardrailRules guardrails = new GuardrailRules(Path.of(rulesDir), city.setup().ruleVocabulary());
        if (!guardrails.reloadIfChanged().errors().isEmpty()) {
            throw new IllegalStateException("rules do not compile: " + guardrails.lastErrors());
        }
        rules = guardrails.active().orElseThrow();

        String[] segments = {"new", "low_frequency", "medium_frequency", "high_frequency", "churned"};
        List<String> names = SyntheticMarket.SCHEMA.names();
        requests = new DecisionRequest[ARRIVALS];
        ids = new String[ARRIVALS];
        rows = new float[ARRIVALS][];
        for (int i = 0; i < ARRIVALS; i++) {
            SyntheticMarket.Customer c = market.next();
            Map<String, Double> features = new LinkedHashMap<>();
            for (int f = 0; f < names.size() - 1; f++) {
                if (!Float.isNaN(c.features()[f])) {
                    features.put(names.get(f), (double) c.features()[f]);
                }
            }
            List<String> campaigns = new ArrayList<>();
            if (i % 7 == 0) {
                campaigns.add("spring-promo");
            }
            ids[i] = "bench." + new java.util.UUID(i, 31L * i + 7);
            requests[i] = new DecisionRequest(null, "bench", "user-" + i, segments[i % segments.length], features,
                    Map.of("fraud_risk", i % 50 == 0), campaigns, null);
            float[] row = new float[names.size() * LADDER.size()];
            for (int j = 0; j < LADDER.size(); j++) {
                System.arraycopy(c.features(), 0, row, j * names.size(), names.size());
                row[j * names.size() + SyntheticMarket.SCHEMA.couponIndex()] = (float) LADDER.coupon(j);
            }
            rows[i] = row;
        }
        decideSome();
    }

    private static final int RECORDS = 256;
    private DecisionRecord[] records;

    private void decideSome() {
        records = new DecisionRecord[RECORDS];
        for (int i = 0; i < RECORDS; i++) {
            records[i] = engine();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        nativeModel.close();
    }

    /** The whole in-process decision. */
    @Benchmark
    public Object decision() {
        int i = next++ & (ARRIVALS - 1);
        DecisionRecord record = DecisionEngine.decide(city.setup(), rules, city.lambda(), requests[i], context,
                ids[i], now.toEpochMilli(), "2026-11-23").record();
        // What the service appends to the write-behind log on the request's thread: the totals, the outcome index
        // and the stream entry, whose JSON is encoded later on the log's journal thread (measured by encode).
        return record.event(DecisionCodec.toStream(record));
    }

    /** The engine alone: the decision and its record, not yet encoded for the stream. */
    @Benchmark
    public DecisionRecord engine() {
        int i = next++ & (ARRIVALS - 1);
        return DecisionEngine.decide(city.setup(), rules, city.lambda(), requests[i], context, ids[i],
                now.toEpochMilli(), "2026-11-23").record();
    }

    /** Encoding one record for the decision stream: what the journal thread does for each decision. */
    @Benchmark
    public Object encode() {
        return DecisionCodec.toJsonBytes(records[next++ & (RECORDS - 1)]);
    }

    /** The response body of a decision, as the service writes it. */
    @Benchmark
    public byte[] respond() {
        return Decision.of(records[next++ & (RECORDS - 1)], "CNY", false).toJsonBytes();
    }

    /** The same body through Jackson's generator, as the service wrote it before (the reference of the test). */
    @Benchmark
    public byte[] respondJackson() throws com.fasterxml.jackson.core.JsonProcessingException {
        return dev.allot.engine.Json.MAPPER.writeValueAsBytes(Decision.of(records[next++ & (RECORDS - 1)], "CNY",
                false));
    }

    /** Scoring 6 rows with the pure-Java evaluator (the per-arrival path). */
    @Benchmark
    public double[] scoreJava() {
        double[] out = new double[LADDER.size()];
        evaluator.predict(rows[next++ & (ARRIVALS - 1)], LADDER.size(), out);
        return out;
    }

    /** Scoring the same 6 rows with native XGBoost4J (a fresh DMatrix each time, so no prediction cache). */
    @Benchmark
    public double[] scoreNative() {
        double[] out = new double[LADDER.size()];
        nativeModel.predict(rows[next++ & (ARRIVALS - 1)], LADDER.size(), out);
        return out;
    }

    /** Curve and calibration only: scorer plus PAVA. */
    @Benchmark
    public Object curve() {
        ConversionScorer scorer = city.setup().scorer();
        float[] row = rows[next++ & (ARRIVALS - 1)];
        return scorer.score(java.util.Arrays.copyOf(row, SyntheticMarket.SCHEMA.size()));
    }

    /** The guardrail rules alone, on one recorded arrival's facts. */
    @Benchmark
    public Object rules() {
        DecisionRecord r = records[next++ & (RECORDS - 1)];
        List<LevelCandidate> facts = new ArrayList<>(LADDER.size());
        for (int j = 0; j < LADDER.size(); j++) {
            facts.add(new LevelCandidate(j, LADDER.coupon(j), LADDER.price(j), r.levels().calibrated()[j]));
        }
        return rules.evaluate(new Arrival("bench", r.userId(), r.segment(), r.features(), r.attributes(),
                Set.copyOf(r.campaigns())), facts, context.history(), context.dayTotals());
    }
}
