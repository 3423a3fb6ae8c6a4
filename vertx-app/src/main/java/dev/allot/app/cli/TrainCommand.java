package dev.allot.app.cli;

import dev.allot.engine.Json;
import dev.allot.engine.config.CityConfig;
import dev.allot.engine.config.ConfigLoader;
import dev.allot.scoring.ModelBundle;
import dev.allot.scoring.training.Boosting;
import dev.allot.scoring.training.FeatureColumns;
import dev.allot.scoring.training.Trainer;
import dev.allot.scoring.training.TrainingTable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

/** Trains a conversion model from logged traffic and writes a model directory with its card. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train a monotone conversion model from logged traffic (a CSV as written by export).")
public final class TrainCommand implements Callable<Integer> {

    @Option(names = "--data", required = true, description = "Training CSV with a header")
    Path data;

    @Option(names = "--out", required = true, description = "Model directory to write (model.json, model.ubj, card)")
    Path out;

    @Option(names = "--city-config", description = "City whose ladder the curves are checked over")
    Path cityConfig;

    @Option(names = "--outcome-column", defaultValue = "converted", description = "default: ${DEFAULT-VALUE}")
    String outcomeColumn;

    @Option(names = "--level-column", defaultValue = "level", description = "default: ${DEFAULT-VALUE}")
    String levelColumn;

    @Option(names = "--coupon-column", defaultValue = "coupon", description = "default: ${DEFAULT-VALUE}")
    String couponColumn;

    @Option(names = "--user-column", defaultValue = "userId", description = "default: ${DEFAULT-VALUE}")
    String userColumn;

    @Option(names = "--time-column", defaultValue = "timestamp", description = "default: ${DEFAULT-VALUE}")
    String timeColumn;

    @Option(names = "--deny", split = ",", description = "More columns recorded after the decision, never features")
    List<String> deny = new ArrayList<>();

    @Option(names = "--allow", split = ",", description = "Columns to take off the default deny-list")
    List<String> allow = new ArrayList<>();

    @Option(names = "--value-column", description = "Also train a value model: what a conversion brings in (e.g. the"
            + " revenue column: the amount paid), from this column of the converted rows, the coupon a feature as in"
            + " the conversion model; a city whose objective counts revenue then prices each arrival's levels with it")
    String valueColumn;

    @Option(names = "--category-order", description = "A text feature's categories in order, lowest first:"
            + " column=first,second,... (repeatable; default: lexical order)")
    List<String> categoryOrders;

    @Option(names = "--split", description = "time or user (default: time if there is a time column)")
    String split;

    @Option(names = "--validation", defaultValue = "0.2", description = "Validation share (default: ${DEFAULT-VALUE})")
    double validation;

    @Option(names = "--rounds", defaultValue = "500", description = "Most boosting rounds (default: ${DEFAULT-VALUE})")
    int rounds;

    @Option(names = "--early-stopping", defaultValue = "20", description = "default: ${DEFAULT-VALUE}")
    int earlyStopping;

    @Option(names = "--depth", defaultValue = "6", description = "default: ${DEFAULT-VALUE}")
    int depth;

    @Option(names = "--eta", defaultValue = "0.1", description = "default: ${DEFAULT-VALUE}")
    double eta;

    @Option(names = "--monotone", defaultValue = "true", arity = "1",
            description = "Constrain the prediction to rise with the coupon (default: ${DEFAULT-VALUE})")
    boolean monotone;

    @Option(names = "--seed", defaultValue = "1", description = "default: ${DEFAULT-VALUE}")
    long seed;

    @Override
    public Integer call() throws Exception {
        Set<String> denied = new HashSet<>(TrainingTable.DEFAULT_DENY);
        denied.addAll(deny);
        denied.removeIf(d -> allow.stream().anyMatch(d::equalsIgnoreCase));
        TrainingTable table = TrainingTable.read(data, new TrainingTable.Columns(outcomeColumn, levelColumn,
                couponColumn, userColumn, timeColumn, denied), FeatureColumns.parseOrders(categoryOrders), valueColumn);
        List<Double> ladder = new ArrayList<>();
        if (cityConfig != null) {
            CityConfig city = ConfigLoader.loadCity(cityConfig);
            for (double d : city.ladder().coupons()) {
                ladder.add(d);
            }
        }
        Trainer.Split how = split == null ? null : Trainer.Split.valueOf(split.toUpperCase(Locale.ROOT));
        Trainer.Options options = new Trainer.Options(rounds, earlyStopping, depth, eta, monotone, seed,
                Runtime.getRuntime().availableProcessors(), validation, how, ladder);
        Trainer.Result result = Trainer.train(table, options, "allot train --data " + data + " --out " + out);
        try {
            ModelBundle.write(out, result.model(), result.card());
        } finally {
            result.model().close();
        }
        Trainer.Result value = null;
        if (valueColumn == null) {
            // A value model left from an earlier training would not belong to this conversion model.
            for (String f : List.of(ModelBundle.VALUE_JSON, ModelBundle.VALUE_UBJ, ModelBundle.VALUE_CARD)) {
                java.nio.file.Files.deleteIfExists(out.resolve(f));
            }
        } else {
            value = Trainer.trainValue(table, options, "allot train --value-column " + valueColumn + " --data " + data,
                    Boosting.STDERR, result.card().version());
            try {
                ModelBundle.writeValue(out, value.model(), value.card());
            } finally {
                value.model().close();
            }
        }
        ModelBundle.load(out);
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("model", out.toString());
        summary.put("version", result.card().version());
        summary.put("features", result.card().features());
        summary.put("refusedColumns", table.refused());
        if (!table.encodings().isEmpty()) {
            // What the app sends for a text feature: its code (also in the model card).
            summary.put("encodings", table.encodings());
        }
        summary.put("trainingRows", result.card().trainingRows());
        summary.put("rounds", result.card().parameters().get("rounds"));
        summary.put("metrics", result.card().metrics());
        if (value != null) {
            summary.put("valueModel", Map.of("version", value.card().version(), "rounds",
                    value.card().parameters().get("rounds"), "metrics", value.card().metrics()));
        }
        System.out.println(Json.MAPPER.writeValueAsString(summary));
        return 0;
    }
}
