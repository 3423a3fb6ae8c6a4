package dev.allot.app.cli;

import dev.allot.control.redis.RedisClients;
import dev.allot.engine.CitySetup;
import dev.allot.engine.DecisionCodec;
import dev.allot.engine.Json;
import dev.allot.engine.config.CityConfig;
import dev.allot.engine.config.ConfigLoader;
import dev.allot.engine.replay.Replay;
import dev.allot.engine.replay.ReplayReport;
import dev.allot.rules.GuardrailRules;
import dev.allot.scoring.ModelBundle;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalDouble;
import java.util.concurrent.Callable;

/**
 * Replays recorded decisions through the engine with a candidate city config, model, rule set or lambda, and
 * prints what would change (a table on stdout; the whole report as JSON with {@code --out}).
 */
@Command(name = "replay", mixinStandardHelpOptions = true,
        description = "Replay recorded decisions with a candidate model, rule set, lambda or city config.")
public final class ReplayCommand implements Callable<Integer> {

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    static final class Source {
        @Option(names = "--decisions", description = "CSV written by 'allot export' (its record column); export"
                + " keeps only offered decisions of the groups asked for, so --redis-url replays the whole log")
        Path csv;

        @Option(names = "--redis-url", description = "Read the city's decision stream from this Redis")
        String redisUrl;
    }

    @Option(names = "--city-config", required = true,
            description = "City config to replay with (ladder, objective, constraint, shares, model)")
    Path cityConfig;

    @Option(names = "--model", description = "Model directory to replay with (default: the city config's)")
    Path model;

    @Option(names = "--rules-dir", defaultValue = "rules/guardrails",
            description = "Guardrail rule files to replay with (default: ${DEFAULT-VALUE})")
    Path rulesDir;

    @Option(names = "--lambda", description = "Replay every decision at this lambda (default: each one's own)")
    Double lambda;

    @Option(names = "--curves", defaultValue = "recorded",
            description = "Expected figures from the 'recorded' calibrated curves or the 'candidate' model's")
    String curves;

    @Option(names = "--out", description = "Write the whole report as JSON here")
    Path out;

    @Override
    public Integer call() throws IOException {
        Replay.Curves curveSource = switch (curves) {
            case "recorded" -> Replay.Curves.RECORDED;
            case "candidate" -> Replay.Curves.CANDIDATE;
            default -> throw new IllegalArgumentException("--curves must be recorded or candidate, got '" + curves
                    + "'");
        };
        if (lambda != null && !(lambda >= 0 && Double.isFinite(lambda))) {
            throw new IllegalArgumentException("--lambda must be a finite number >= 0, got " + lambda);
        }
        CityConfig config = ConfigLoader.loadCity(cityConfig);
        CitySetup setup = CitySetup.of(config, ModelBundle.load(model != null ? model : config.model()));
        Replay replay = new Replay(new Replay.Candidate(setup, GuardrailRules.compile(rulesDir, setup.ruleVocabulary()),
                lambda == null ? OptionalDouble.empty() : OptionalDouble.of(lambda), curveSource));
        if (source.csv != null) {
            DecisionCodec.readCsv(source.csv, replay::add);
        } else {
            RedisClient client = RedisClients.create(source.redisUrl, Duration.ofSeconds(30));
            try (StatefulRedisConnection<String, String> connection = client.connect()) {
                ExportCommand.scanDecisions(connection.sync(), config.city(), replay::add);
            } finally {
                client.shutdown();
            }
        }
        ReplayReport report = replay.report();
        System.out.print(report.table());
        if (out != null) {
            Files.writeString(out, Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(report));
        }
        return 0;
    }
}
