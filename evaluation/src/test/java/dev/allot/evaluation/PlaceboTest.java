package dev.allot.evaluation;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A placebo: the arms shuffled after the outcomes were drawn, so no arm does anything and no policy can beat no
 * targeting. The gain's 95% interval must then cover zero in at least 90% of forty seeds (ten seconds;
 * {@code -Dplacebo.seeds=N} runs another number).
 */
class PlaceboTest {

    private static final int SEEDS = 40;

    @TempDir
    Path dir;

    @Test
    void theGainOverNoTargetingCoversZeroWhenTheArmsWereShuffled() throws IOException {
        int seeds = Integer.getInteger("placebo.seeds", SEEDS);
        List<String> missed = new ArrayList<>();
        for (int seed = 1; seed <= seeds; seed++) {
            GeneratedExperiment experiment = seed % 2 == 0 ? GeneratedExperimentsTest.EMAILS
                    : GeneratedExperimentsTest.LADDER;
            ArmModel.Kind kind = seed % 2 == 0 ? ArmModel.Kind.POOLED : ArmModel.Kind.LADDER;
            double budget = seed % 2 == 0 ? 1 : 0.9;
            Path file = experiment.write(dir, "placebo-" + seed, 12_000, 100 + seed, true);
            LoggedData data = LoggedCsv.read(file, experiment.spec());
            PolicyEvaluation.Options options = new PolicyEvaluation.Options(budget, 0.5, seed, 200, 100, 3)
                    .withModel(kind);
            PolicyEvaluation.Estimate gain = (PolicyEvaluation.Estimate) PolicyEvaluation.run(data, options)
                    .get("gainOverNonTargetedHull");
            if (!gain.covers(0)) {
                missed.add("seed " + seed + ": " + gain);
            }
        }
        System.out.printf("placebo: the gain's interval covered zero in %d of %d seeds%n", seeds - missed.size(),
                seeds);
        assertThat(seeds - missed.size()).as("seeds whose interval covers zero; missed: %s", missed)
                .isGreaterThanOrEqualTo((int) Math.ceil(0.9 * seeds));
    }
}
