package dev.allot.engine;

import dev.allot.control.Pricing;
import dev.allot.engine.config.CityConfig;
import dev.allot.scoring.ConversionScorer;
import dev.allot.scoring.FeatureMapper;
import dev.allot.scoring.Ladder;
import dev.allot.scoring.ModelBundle;
import dev.allot.rules.RuleVocabulary;

import java.util.Set;
import java.util.TreeSet;

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

    /**
     * What the city's rules may name: the fields its config declares and the features its model reads (the
     * coupon column is the engine's, not the app's).
     */
    public RuleVocabulary ruleVocabulary() {
        Set<String> features = new TreeSet<>(config.ruleFields().features());
        features.addAll(model.card().schema().names());
        features.remove(model.card().schema().couponFeature());
        return new RuleVocabulary(config.ruleFields().attributes(), features);
    }
}
