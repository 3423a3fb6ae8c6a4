package dev.allot.app.cli;

import dev.allot.control.Pricing;
import dev.allot.control.offline.CurvesCsv;
import dev.allot.control.offline.DualSolver;
import dev.allot.control.offline.Population;
import dev.allot.control.redis.CityStore;
import dev.allot.control.redis.RedisClients;
import dev.allot.engine.Json;
import dev.allot.engine.config.CityConfig;
import dev.allot.engine.config.ConfigLoader;
import dev.allot.scoring.ConversionCurve;
import dev.allot.scoring.ConversionScorer;
import dev.allot.scoring.CsvTable;
import dev.allot.scoring.FeatureMapper;
import dev.allot.scoring.ModelBundle;
import io.lettuce.core.RedisClient;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;

/** The offline price of budget for a day's population (DESIGN §2), printed as one JSON object. */
@Command(name = "solve-lambda", mixinStandardHelpOptions = true,
        description = "Solve the day's lambda exactly from a population of arrivals.")
public final class SolveLambdaCommand implements Callable<Integer> {

    @Option(names = "--city-config", required = true, description = "City config: ladder, objective, constraint")
    Path cityConfig;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    static final class Input {
        @Option(names = "--curves", description = "CSV id,r_0,...,r_{K-1}: calibrated probabilities, coupon ascending")
        Path curves;

        @Option(names = "--population", description = "CSV of feature rows (header names the model's features),"
                + " scored with the model")
        Path population;
    }

    @Option(names = "--model", description = "Model directory for --population (default: the city's model)")
    Path model;

    @Option(names = "--threads", description = "Threads for reading a curves CSV (default: all cores)")
    Integer threads;

    @Option(names = "--trisection", description = "Also run the paper's trisection and report its iterations")
    boolean trisection;

    @Option(names = "--trisection-tolerance", defaultValue = "1e-9", description = "Bracket width to stop at")
    double tolerance;

    @Option(names = "--store-day", description = "Store the result as this day's starting lambda (YYYY-MM-DD) in"
            + " Redis, where the service's controller starts that day")
    LocalDate storeDay;

    @Option(names = "--redis-url", description = "Redis for --store-day (default: env REDIS_URL)")
    String redisUrl;

    @Override
    public Integer call() throws IOException {
        long started = System.nanoTime();
        CityConfig city = ConfigLoader.loadCity(cityConfig);
        Pricing pricing = city.pricing();
        int k = city.ladder().size();
        int cores = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        Population population;
        long repaired;
        if (input.curves != null) {
            CurvesCsv.Read read = CurvesCsv.read(input.curves, k, cores);
            population = read.population();
            repaired = read.repairedCurves();
        } else {
            ModelBundle bundle = ModelBundle.load(model != null ? model : city.model());
            long[] repairedBox = new long[1];
            population = score(input.population, new ConversionScorer(bundle.evaluator(), city.ladder()), cores,
                    repairedBox);
            repaired = repairedBox[0];
        }
        long read = System.nanoTime();
        DualSolver.Solution solution = DualSolver.solve(pricing, population);
        long solved = System.nanoTime();

        Map<String, Object> out = new LinkedHashMap<>();
        out.put("city", city.city());
        out.put("lambda", solution.lambda());
        out.put("lpObjective", solution.lpObjective());
        out.put("integralObjective", solution.integralObjective());
        out.put("constraintUsage", solution.constraintUsage());
        out.put("feasible", solution.feasible());
        out.put("levelShares", solution.levelShares());
        out.put("arrivals", solution.arrivals());
        out.put("breakpoints", solution.breakpoints());
        out.put("repairedCurves", repaired);
        out.put("readMs", (read - started) / 1_000_000);
        out.put("solveMs", (solved - read) / 1_000_000);
        if (trisection) {
            long t0 = System.nanoTime();
            DualSolver.Trisection tri = DualSolver.trisect(pricing, population, city.pid().lambdaMax(), tolerance);
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("lambda", tri.lambda());
            t.put("lpObjective", tri.dual());
            t.put("iterations", tri.iterations());
            t.put("elapsedMs", (System.nanoTime() - t0) / 1_000_000);
            out.put("trisection", t);
        }
        out.put("elapsedMs", (System.nanoTime() - started) / 1_000_000);
        if (storeDay != null && solution.feasible()) {
            String url = redisUrl != null ? redisUrl : System.getenv("REDIS_URL");
            if (url == null || url.isBlank()) {
                throw new IllegalArgumentException("--store-day needs --redis-url or REDIS_URL");
            }
            RedisClient client = RedisClients.create(url, Duration.ofSeconds(10));
            try (var connection = client.connect()) {
                new CityStore(connection).setLambda0(city.city(), storeDay.toString(),
                        city.pid().clamp(solution.lambda())).toCompletableFuture().join();
            } finally {
                client.shutdown();
            }
            out.put("storedFor", storeDay.toString());
        }
        System.out.println(Json.MAPPER.writeValueAsString(out));
        return solution.feasible() ? 0 : 3;
    }

    /** Feature rows scored at every level and calibrated, in parallel. */
    static Population score(Path file, ConversionScorer scorer, int threads, long[] repaired) throws IOException {
        FeatureMapper mapper = new FeatureMapper(scorer.model().schema());
        List<float[]> rows = new ArrayList<>();
        try (CsvTable csv = CsvTable.open(file)) {
            int[] target = mapper.columns(csv.header());
            if (Arrays.stream(target).allMatch(t -> t < 0)) {
                throw new IllegalArgumentException(file + ":1: no column names a model feature "
                        + mapper.schema().names());
            }
            float[] values = new float[target.length];
            for (CsvTable.Row line : csv) {
                for (int c = 0; c < target.length; c++) {
                    values[c] = target[c] >= 0 ? csv.number(line, c) : Float.NaN;
                }
                rows.add(mapper.row(target, values));
            }
        }
        int k = scorer.ladder().size();
        double[] r = new double[rows.size() * k];
        long count = IntStream.range(0, rows.size()).parallel().filter(i -> {
            ConversionCurve curve = scorer.score(rows.get(i));
            System.arraycopy(curve.calibrated(), 0, r, i * k, k);
            return !curve.rawWasMonotone();
        }).count();
        repaired[0] = count;
        return new Population(r, rows.size(), k);
    }
}
