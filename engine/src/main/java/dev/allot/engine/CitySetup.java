package dev.allot.engine;

import dev.allot.control.Pricing;
import dev.allot.engine.config.CityConfig;
import dev.allot.scoring.ConversionScorer;
import dev.allot.scoring.FeatureMapper;
import dev.allot.scoring.Ladder;
import dev.allot.scoring.ModelBundle;

/**
 * A city's configuration and model, which change together (a model swap or a config change replaces the whole
 * setup), with what is derived from them once rather than per decision.
 */
public record CitySetup(CityConfig config, ModelBundle model, ConversionScorer scorer, Pricing pricing,
                        FeatureMapper features, double[] coupons, double[] prices) {

    public static CitySetup of(CityConfig config, ModelBundle model) {
        Ladder ladder = config.ladder();
        double[] prices = new double[ladder.size()];
        for (int j = 0; j < prices.length; j++) {
            prices[j] = ladder.price(j);
        }
        return new CitySetup(config, model, new ConversionScorer(model.evaluator(), ladder), config.pricing(),
                new FeatureMapper(model.card().schema()), ladder.coupons(), prices);
    }

    public String city() {
        return config.city();
    }

    public Ladder ladder() {
        return config.ladder();
    }
}
