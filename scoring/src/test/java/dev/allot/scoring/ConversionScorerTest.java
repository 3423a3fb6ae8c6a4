package dev.allot.scoring;

import dev.allot.scoring.training.ModelTrainer;
import dev.allot.scoring.training.SyntheticMarket;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ConversionScorerTest {

    @Test
    void calibratedCurveIsMonotoneForEveryArrivalAndTracksTheTruth() {
        Ladder ladder = new Ladder(18, new double[]{0, 2, 4, 6, 8, 10});
        SyntheticMarket market = new SyntheticMarket(ladder, 21);
        try (XGBoostModel model = ModelTrainer.train(market.explorationLog(60_000),
                new ModelTrainer.Parameters(80, 4, 0.1, false, 1, 2))) {
            ConversionScorer scorer = new ConversionScorer(
                    TreeEnsemble.read(model.toJson(), SyntheticMarket.SCHEMA), ladder);
            double predicted = 0;
            double truth = 0;
            int repaired = 0;
            for (int i = 0; i < 2_000; i++) {
                SyntheticMarket.Customer c = market.next();
                ConversionCurve curve = scorer.score(c.features());
                for (int j = 1; j < curve.size(); j++) {
                    assertThat(curve.at(j)).isGreaterThanOrEqualTo(curve.at(j - 1));
                }
                repaired += curve.rawWasMonotone() ? 0 : 1;
                predicted += curve.at(5) - curve.at(0);
                truth += c.trueConversion()[5] - c.trueConversion()[0];
            }
            // The uplift of the largest coupon is learned to within a fifth of the truth on average.
            assertThat(predicted / truth).isBetween(0.8, 1.2);
            assertThat(repaired).as("an unconstrained model leaves some raw curves non-monotone").isPositive();
        }
    }
}
