package dev.allot.tools;

import dev.allot.engine.Json;
import dev.allot.simulator.Experiments;
import dev.allot.simulator.Scenario;
import dev.allot.simulator.Simulation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/** Runs the paper's experiments on a scenario and writes a Markdown report with SVG figures. */
@Command(name = "simulate", mixinStandardHelpOptions = true,
        description = "Simulate a city with a known ground truth and compare every allocation strategy.")
public final class SimulateCommand implements Callable<Integer> {

    @Option(names = "--scenario", required = true, description = "Scenario JSON (see scenarios/)")
    Path scenarioFile;

    @Option(names = "--out", required = true, description = "Directory for report.md and the figures")
    Path out;

    @Option(names = "--table1-arrivals", defaultValue = "20000",
            description = "Arrivals whose curves Table 1 inspects (default: ${DEFAULT-VALUE})")
    int table1Arrivals;

    @Option(names = "--solve-sizes", split = ",",
            description = "Only Tables 3/4: time the offline solves on days of these sizes, e.g. 500000,5000000")
    int[] solveSizes;

    @Override
    public Integer call() throws Exception {
        long started = System.currentTimeMillis();
        Scenario scenario = Scenario.read(scenarioFile);
        Experiments experiments = new Experiments(scenario);
        if (solveSizes != null) {
            String table = Experiments.solveTable(experiments.table34(solveSizes));
            Files.createDirectories(out);
            String sizes = Arrays.stream(solveSizes).mapToObj(Integer::toString).collect(Collectors.joining(","));
            Files.writeString(out.resolve("solve-report.md"), "# Offline solves\n\nMade by `allot simulate"
                    + " --scenario " + scenarioFile + " --solve-sizes " + sizes + " --out " + out + "` in "
                    + (System.currentTimeMillis() - started) / 1000.0 + " s.\n\n" + table + "\n```\n"
                    + experiments.log() + "```\n");
            System.out.println(table);
            return 0;
        }
        List<Experiments.MonotoneRow> t1 = experiments.table1(new double[]{0, 0.10, 0.25, 0.70}, table1Arrivals);
        long t1Done = System.currentTimeMillis();
        Simulation.Trace[] traces = new Simulation.Trace[2];
        List<Experiments.MisspecRow> t2 = experiments.table2(new double[]{-0.024, -0.077}, traces);
        long t2Done = System.currentTimeMillis();
        List<Experiments.StrategyRow> t5 = experiments.table5();
        experiments.note(String.format(Locale.ROOT, "elapsed: Table 1 %.1f s, Table 2 %.1f s, Table 5 %.1f s",
                (t1Done - started) / 1e3, (t2Done - t1Done) / 1e3, (System.currentTimeMillis() - t2Done) / 1e3));
        long millis = System.currentTimeMillis() - started;
        experiments.writeReport(out, "allot simulate --scenario " + scenarioFile + " --out " + out, t1, t2, traces, t5,
                millis);
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("scenario", scenario.name());
        summary.put("report", out.resolve("report.md").toString());
        summary.put("elapsedMs", millis);
        System.out.println(Json.MAPPER.writeValueAsString(summary));
        return 0;
    }
}
