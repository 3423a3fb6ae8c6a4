package dev.allot.app.cli;

import dev.allot.scoring.Ladder;
import dev.allot.scoring.ModelBundle;
import dev.allot.scoring.ModelCard;
import dev.allot.scoring.XGBoostModel;
import dev.allot.scoring.training.Evaluation;
import dev.allot.scoring.training.ModelTrainer;
import dev.allot.scoring.training.SyntheticMarket;
import dev.allot.scoring.training.TrainingSet;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** Makes the shipped demo model from synthetic exploration traffic, reproducibly (fixed seed). */
@Command(name = "demo-model", mixinStandardHelpOptions = true,
        description = "Train the demo model on synthetic exploration traffic and write it as a model directory.")
public final class DemoModelCommand implements Callable<Integer> {

    @Option(names = "--out", required = true, description = "Model directory to write")
    Path out;

    @Option(names = "--rows", defaultValue = "60000", description = "Synthetic rows (default: ${DEFAULT-VALUE})")
    int rows;

    @Option(names = "--rounds", defaultValue = "60", description = "Boosting rounds (default: ${DEFAULT-VALUE})")
    int rounds;

    @Option(names = "--depth", defaultValue = "4", description = "Tree depth (default: ${DEFAULT-VALUE})")
    int depth;

    @Option(names = "--seed", defaultValue = "7", description = "Random seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--ladder", split = ",", defaultValue = "0,2,4,6,8,10",
            description = "Coupon values (default: ${DEFAULT-VALUE})")
    double[] ladder;

    @Option(names = "--base-price", defaultValue = "18", description = "Base price (default: ${DEFAULT-VALUE})")
    double basePrice;

    @Override
    public Integer call() throws Exception {
        if (rows < 100 || rounds < 1 || depth < 1) {
            throw new IllegalArgumentException("--rows must be >= 100, --rounds and --depth >= 1");
        }
        Ladder l = new Ladder(basePrice, ladder);
        TrainingSet data = new SyntheticMarket(l, seed).explorationLog(rows);
        ModelTrainer.Parameters params = new ModelTrainer.Parameters(rounds, depth, 0.1, false, seed, 1);
        List<Double> coupons = new ArrayList<>();
        for (double d : ladder) {
            coupons.add(d);
        }
        try (XGBoostModel model = ModelTrainer.train(data, params)) {
            // Validated on traffic the model never saw (another seed of the same market), so the card's figures
            // say how the demo model ranks and calibrates, as a trained model's card does.
            TrainingSet valid = new SyntheticMarket(l, seed + 1).explorationLog(Math.max(100, rows / 5));
            double[] predicted = new double[valid.rows()];
            model.predict(valid.features(), valid.rows(), predicted);
            Map<String, Double> metrics = new java.util.LinkedHashMap<>();
            metrics.put("auc", Evaluation.auc(predicted, valid.labels()));
            metrics.put("logLoss", Evaluation.logLoss(predicted, valid.labels()));
            metrics.put("pcoc", Evaluation.pcoc(predicted, valid.labels()));
            metrics.put("validationRows", (double) valid.rows());
            ModelCard card = new ModelCard("demo-" + seed + "-" + rows + "x" + rounds + "d" + depth,
                    SyntheticMarket.SCHEMA.names(), SyntheticMarket.COUPON, coupons, Instant.now().toString(), rows,
                    Map.of("rounds", rounds, "maxDepth", depth, "eta", 0.1, "objective", "binary:logistic",
                            "seed", seed),
                    metrics, Evaluation.deciles(predicted, valid.labels()), "allot demo-model --out " + out + " --rows " + rows + " --rounds " + rounds
                    + " --depth " + depth + " --seed " + seed + " (synthetic exploration traffic, SyntheticMarket)");
            ModelBundle.write(out, model, card);
        }
        ModelBundle check = ModelBundle.load(out);
        System.out.println("wrote " + out + ": model " + check.version() + ", " + check.evaluator().trees() + " trees");
        return 0;
    }
}
