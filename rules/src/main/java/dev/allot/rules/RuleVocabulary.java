package dev.allot.rules;

import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The fields a city declares for its rules: attributes the app sends (name and type) and features (numbers).
 * A rule that names anything else is refused at validation, so a typo cannot compile into a rule that never
 * fires.
 *
 * @param attributes declared attributes and their types
 * @param features   declared feature names (the model's features and any others the app sends)
 */
public record RuleVocabulary(Map<String, Type> attributes, Set<String> features) {

    /** What an attribute holds, as the app sends it in JSON. */
    public enum Type {
        BOOLEAN, STRING, NUMBER;

        /** Reads {@code boolean}, {@code string} or {@code number}; null for anything else. */
        public static Type parse(String text) {
            if (text == null) {
                return null;
            }
            return switch (text.toLowerCase(Locale.ROOT)) {
                case "boolean" -> BOOLEAN;
                case "string" -> STRING;
                case "number" -> NUMBER;
                default -> null;
            };
        }

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Nothing declared: rules may still use segments, campaigns, levels, coupon history and day totals. */
    public static final RuleVocabulary EMPTY = new RuleVocabulary(Map.of(), Set.of());

    public RuleVocabulary {
        attributes = Map.copyOf(new TreeMap<>(attributes));
        features = Set.copyOf(new TreeSet<>(features));
    }
}
