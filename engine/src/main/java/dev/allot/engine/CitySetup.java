package dev.allot.engine;

import dev.allot.control.Objective;
import dev.allot.control.Pricing;
import dev.allot.engine.config.CityConfig;
import dev.allot.scoring.ConversionScorer;
import dev.allot.scoring.FeatureMapper;
import dev.allot.scoring.Ladder;
import dev.allot.scoring.ModelBundle;
import dev.allot.scoring.TreeEnsemble;
import dev.allot.rules.RuleVocabulary;

import java.util.Set;
import java.util.TreeSet;

/**
 * A city's configuration and model, which change together (a model swap or a config change replaces the whole
 * setup), with what is derived from them once rather than per decision.
 *
 * @param prices the ladder's prices (base price minus coupon)
 * @param value  the value model (what a conversion of an arrival at each level brings in), used only when the
 *               city's objective counts revenue; null otherwise
 */
public record CitySetup(CityConfig config, ModelBundle model, ConversionScorer scorer, Pricing pricing,
                        FeatureMapper features, double[] coupons, double[] prices, TreeEnsemble value) {

    public static CitySetup of(CityConfig config, ModelBundle model) {
        Ladder ladder = config.ladder();
        double[] prices = new double[ladder.size()];
        for (int j = 0; j < prices.length; j++) {
            prices[j] = ladder.price(j);
        }
        TreeEnsemble value = model.value() != null && config.objective() != Objective.CONVERSIONS
                ? model.value().evaluator() : null;
        return new CitySetup(config, model, new ConversionScorer(model.evaluator(), ladder), config.pricing(),
                new FeatureMapper(model.card().schema()), ladder.coupons(), prices, value);
    }

    /**
     * What a conversion of this arrival at each level is predicted to bring in (the value model reads the coupon
     * as the conversion model does; never below zero), which the objective counts instead of the ladder's price;
     * null without a value model. Prices stay the ladder's: they are what the app is told, what the rules and a
     * price floor see, and what a reported outcome's revenue defaults to.
     */
    public double[] worthFor(float[] row) {
        if (value == null) {
            return null;
        }
        double[] worth = new double[coupons.length];
        value.predictLevels(row, scorer.coupons(), worth);
        for (int j = 0; j < worth.length; j++) {
            worth[j] = Math.max(0, worth[j]);
        }
        return worth;
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
