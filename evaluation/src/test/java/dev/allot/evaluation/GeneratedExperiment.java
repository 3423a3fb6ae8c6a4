package dev.allot.evaluation;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A randomized experiment whose truth is known: each unit has two features ({@code score}, which the effects
 * depend on, and {@code noise}, which nothing does), arms are drawn with fixed propensities, and the outcome is
 * drawn around {@code truth(score, arm)}: Bernoulli for a binary outcome, the mean times an exponential draw
 * (skewed and never negative, like spend) for a continuous one. The value of any policy is then known exactly.
 */
record GeneratedExperiment(List<String> arms, double[] costs, double[] propensities, boolean binary, Truth truth) {

    interface Truth {
        double mean(double score, int arm);
    }

    /** Writes {@code rows} units (optionally with the arms shuffled after the outcomes were drawn). */
    Path write(Path dir, String name, int rows, long seed, boolean shuffleArms) throws IOException {
        Path file = dir.resolve(name + ".csv");
        SplittableRandom random = new SplittableRandom(seed);
        int[] arm = new int[rows];
        double[] score = new double[rows];
        double[] noise = new double[rows];
        double[] outcome = new double[rows];
        for (int i = 0; i < rows; i++) {
            arm[i] = pick(random.nextDouble());
            score[i] = random.nextDouble();
            noise[i] = random.nextDouble();
            double mean = truth.mean(score[i], arm[i]);
            outcome[i] = binary ? (random.nextDouble() < mean ? 1 : 0) : mean * -Math.log(1 - random.nextDouble());
        }
        if (shuffleArms) {
            for (int i = rows - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                int t = arm[i];
                arm[i] = arm[j];
                arm[j] = t;
            }
        }
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            w.write("id,score,noise,arm,outcome\n");
            for (int i = 0; i < rows; i++) {
                w.write(i + "," + (float) score[i] + "," + (float) noise[i] + "," + arms.get(arm[i]) + ","
                        + (binary ? (outcome[i] == 1 ? "1.0" : "0.0") : Float.toString((float) outcome[i])) + "\n");
            }
        }
        return file;
    }

    LoggedCsv.Spec spec() {
        return new LoggedCsv.Spec("arm", "outcome", null, List.of("score", "noise"), arms, costs, null, propensities);
    }

    /** The true mean outcome of the evaluation units under the plan's arms. */
    double valueOf(LoggedData data, int[] evalIndex, int[] policy) {
        double sum = 0;
        for (int e = 0; e < evalIndex.length; e++) {
            sum += truth.mean(data.features()[evalIndex[e] * data.width()], policy[e]);
        }
        return sum / evalIndex.length;
    }

    /** The best policy for these units under the true means, at {@code budget}: what a perfect model would do. */
    int[] optimal(LoggedData data, int[] evalIndex, double budget, boolean net) {
        int k = arms.size();
        double[] values = new double[evalIndex.length * k];
        for (int e = 0; e < evalIndex.length; e++) {
            for (int j = 0; j < k; j++) {
                values[e * k + j] = truth.mean(data.features()[evalIndex[e] * data.width()], j) - (net ? costs[j] : 0);
            }
        }
        return new Allocation(values, evalIndex.length, costs).at(budget).arms();
    }

    private int pick(double u) {
        double acc = 0;
        for (int j = 0; j < propensities.length; j++) {
            acc += propensities[j];
            if (u < acc) {
                return j;
            }
        }
        return propensities.length - 1;
    }
}
