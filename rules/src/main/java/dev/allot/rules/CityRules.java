package dev.allot.rules;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The guardrail rules of every city: each city has its own active set, history, health and fallback, checked
 * against the fields that city declares. A rule set applies to all cities or to named ones; the rule directory
 * applies to all.
 */
public final class CityRules {

    private final Map<String, GuardrailRules> byCity;

    /** @param vocabularies each city's declared fields, by city name */
    public CityRules(Path directory, Map<String, RuleVocabulary> vocabularies, RuleHealth.Policy policy) {
        Map<String, GuardrailRules> rules = new TreeMap<>();
        vocabularies.forEach((city, vocabulary) -> rules.put(city, new GuardrailRules(directory, vocabulary, policy)));
        this.byCity = Collections.unmodifiableMap(rules);
    }

    public Collection<String> cities() {
        return byCity.keySet();
    }

    /** The city's rules, or empty for a city this service does not serve. */
    public Optional<GuardrailRules> of(String city) {
        return Optional.ofNullable(byCity.get(city));
    }

    public Map<String, GuardrailRules> byCity() {
        return byCity;
    }

    /** {@code cities}, or every city when it is empty; unknown names are refused. */
    public List<String> scope(Collection<String> cities) {
        if (cities == null || cities.isEmpty()) {
            return List.copyOf(byCity.keySet());
        }
        for (String city : cities) {
            if (!byCity.containsKey(city)) {
                throw new IllegalArgumentException("unknown city " + city + " (cities: " + byCity.keySet() + ")");
            }
        }
        return List.copyOf(new java.util.TreeSet<>(cities));
    }

    /**
     * Blocking: checks and compiles {@code files} for each city in {@code cities}, each against its own fields.
     * The result is the first city's set, or every city's errors (each message naming its city when there are
     * several).
     */
    public RuleCompiler.Result validate(Map<String, String> files, List<String> cities) {
        Compiled compiled = compile(files, cities);
        return compiled.errors().isEmpty() ? compiled.sets().values().iterator().next()
                : new RuleCompiler.Result(null, compiled.errors());
    }

    /** What {@link #activate} did: the set now active in each city, or the errors that changed nothing. */
    public record Activation(Map<String, RuleSet> activated, List<RuleError> errors) {
    }

    /**
     * Blocking: compiles {@code files} for every city in {@code cities} and, only if every city accepts them,
     * makes them active in all of them; otherwise no city changes.
     */
    public Activation activate(Map<String, String> files, List<String> cities) {
        Compiled compiled = compile(files, cities);
        if (!compiled.errors().isEmpty()) {
            return new Activation(Map.of(), compiled.errors());
        }
        Map<String, RuleSet> activated = new TreeMap<>();
        compiled.sets().forEach((city, result) -> {
            byCity.get(city).install(result.ruleSet());
            activated.put(city, result.ruleSet());
        });
        return new Activation(activated, List.of());
    }

    private record Compiled(Map<String, RuleCompiler.Result> sets, List<RuleError> errors) {
    }

    private Compiled compile(Map<String, String> files, List<String> cities) {
        Map<String, RuleCompiler.Result> sets = new TreeMap<>();
        List<RuleError> errors = new ArrayList<>();
        for (String city : cities) {
            RuleCompiler.Result result = byCity.get(city).validate(files);
            if (result.ok()) {
                sets.put(city, result);
                continue;
            }
            for (RuleError e : result.errors()) {
                RuleError named = cities.size() == 1 ? e
                        : new RuleError(e.file(), e.line(), e.column(), "city " + city + ": " + e.message());
                if (!errors.contains(named)) {
                    errors.add(named);
                }
            }
        }
        return new Compiled(sets, errors);
    }

    /** The active set's version in each city. */
    public Map<String, String> activeVersions() {
        Map<String, String> out = new TreeMap<>();
        byCity.forEach((city, rules) -> out.put(city, rules.active().map(RuleSet::version).orElse(null)));
        return out;
    }

    /** Whether any city is serving a fallback set. */
    public boolean anyFallback() {
        return byCity.values().stream().anyMatch(r -> r.fallback().isPresent());
    }
}
