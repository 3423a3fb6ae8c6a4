package dev.allot.engine.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.allot.control.BudgetConstraint;
import dev.allot.control.Objective;
import dev.allot.control.PidGains;
import dev.allot.control.TradingDay;
import dev.allot.engine.Json;
import dev.allot.rules.RuleVocabulary;
import dev.allot.scoring.Ladder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** The one configuration loader: city files from a directory, each checked field by field. */
public final class ConfigLoader {

    /** City names appear in Redis keys and decision ids. */
    public static final Pattern CITY_NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");

    private ConfigLoader() {
    }

    public static List<CityConfig> loadCities(Path directory) {
        if (!Files.isDirectory(directory)) {
            throw new ConfigException("city config directory " + directory.toAbsolutePath() + " does not exist;"
                    + " run from the repository root or pass --config-dir");
        }
        List<CityConfig> cities = new ArrayList<>();
        try (Stream<Path> files = Files.list(directory)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".json")).sorted().toList()) {
                cities.add(loadCity(file));
            }
        } catch (IOException e) {
            throw new ConfigException("cannot list " + directory + ": " + e.getMessage(), e);
        }
        if (cities.isEmpty()) {
            throw new ConfigException("no city config (*.json) in " + directory.toAbsolutePath());
        }
        return cities;
    }

    public static CityConfig loadCity(Path file) {
        CityConfig.File f;
        try {
            f = Json.MAPPER.readValue(file.toFile(), CityConfig.File.class);
        } catch (JsonProcessingException e) {
            throw new ConfigException(file + ": " + e.getOriginalMessage() + " at line "
                    + (e.getLocation() == null ? "?" : e.getLocation().getLineNr()), e);
        } catch (IOException e) {
            throw new ConfigException("cannot read " + file + ": " + e.getMessage(), e);
        }
        try {
            return convert(f, file.toAbsolutePath().getParent());
        } catch (IllegalArgumentException | DateTimeException e) {
            throw new ConfigException(file + ": " + e.getMessage(), e);
        }
    }

    private static CityConfig convert(CityConfig.File f, Path base) {
        String city = require(f.city(), "city");
        if (!CITY_NAME.matcher(city).matches()) {
            throw new IllegalArgumentException("city must match " + CITY_NAME + ", got '" + city + "'");
        }
        Ladder ladder = new Ladder(require(f.basePrice(), "basePrice"), require(f.ladder(), "ladder"));
        Objective objective = parseEnum(Objective.class, f.objective() == null ? "revenue" : f.objective(),
                "objective");
        CityConfig.Constraint c = require(f.constraint(), "constraint");
        double target = require(c.target(), "constraint.target");
        BudgetConstraint constraint = switch (require(c.type(), "constraint.type")) {
            case "average-price-floor" -> new BudgetConstraint.AveragePriceFloor(target);
            case "spend-per-arrival" -> new BudgetConstraint.SpendPerArrival(target);
            case "cost-per-arrival" -> new BudgetConstraint.CostPerArrival(target);
            default -> throw new IllegalArgumentException("constraint.type must be average-price-floor, "
                    + "spend-per-arrival or cost-per-arrival, got '" + c.type() + "'");
        };
        double exploration = share(f.explorationShare(), "explorationShare");
        double holdout = share(f.holdoutShare(), "holdoutShare");
        if (exploration + holdout > 1) {
            throw new IllegalArgumentException("explorationShare + holdoutShare must be at most 1");
        }
        int holdoutLevel = f.holdoutLevel() == null ? 0 : f.holdoutLevel();
        if (holdoutLevel < 0 || holdoutLevel >= ladder.size()) {
            throw new IllegalArgumentException("holdoutLevel must be in [0, " + (ladder.size() - 1) + "]");
        }
        CityConfig.Pid p = require(f.pid(), "pid");
        PidGains gains = new PidGains(orZero(p.kp()), orZero(p.ki()), orZero(p.kd()),
                require(p.intervalSeconds(), "pid.intervalSeconds"), orZero(p.lambdaMin()),
                require(p.lambdaMax(), "pid.lambdaMax"));
        double initialLambda = f.initialLambda() == null ? gains.lambdaMin() : f.initialLambda();
        if (!Double.isFinite(initialLambda) || initialLambda < gains.lambdaMin() || initialLambda > gains.lambdaMax()) {
            throw new IllegalArgumentException("initialLambda must be within [pid.lambdaMin, pid.lambdaMax]");
        }
        String steerOn = f.steerOn() == null ? "expected" : f.steerOn();
        if (!steerOn.equals("expected") && !steerOn.equals("realized")) {
            throw new IllegalArgumentException("steerOn must be expected or realized, got '" + steerOn + "'");
        }
        TradingDay day = new TradingDay(ZoneId.of(f.timezone() == null ? "UTC" : f.timezone()),
                LocalTime.parse(f.dayStart() == null ? "00:00" : f.dayStart()));
        double unitCost = orZero(f.unitCost());
        Path model = base.resolve(require(f.model(), "model")).normalize();
        return new CityConfig(city, f.currency() == null ? "CNY" : f.currency(), ladder, objective, unitCost,
                constraint, exploration, holdout, holdoutLevel, gains, initialLambda, steerOn.equals("realized"),
                day, model, ruleFields(f.ruleFields()), historyWhenUnknown(f.historyWhenUnknown()));
    }

    private static String historyWhenUnknown(String value) {
        String mode = value == null ? "local" : value;
        if (!mode.equals("local") && !mode.equals("unknown")) {
            throw new IllegalArgumentException("historyWhenUnknown must be local or unknown, got '" + value + "'");
        }
        return mode;
    }

    private static RuleVocabulary ruleFields(CityConfig.RuleFields fields) {
        if (fields == null) {
            return RuleVocabulary.EMPTY;
        }
        Map<String, RuleVocabulary.Type> attributes = new TreeMap<>();
        if (fields.attributes() != null) {
            fields.attributes().forEach((name, type) -> {
                RuleVocabulary.Type parsed = RuleVocabulary.Type.parse(type);
                if (parsed == null) {
                    throw new IllegalArgumentException("ruleFields.attributes." + name
                            + " must be boolean, string or number, got '" + type + "'");
                }
                attributes.put(name, parsed);
            });
        }
        Set<String> features = new TreeSet<>();
        if (fields.features() != null) {
            for (String feature : fields.features()) {
                features.add(require(feature, "ruleFields.features[]"));
            }
        }
        return new RuleVocabulary(attributes, features);
    }

    private static <T> T require(T value, String field) {
        if (value == null) {
            throw new IllegalArgumentException(field + " is required");
        }
        return value;
    }

    private static double orZero(Double v) {
        return v == null ? 0 : v;
    }

    private static double share(Double v, String field) {
        double s = orZero(v);
        if (!(s >= 0 && s <= 1)) {
            throw new IllegalArgumentException(field + " must be in [0, 1], got " + s);
        }
        return s;
    }

    private static <E extends Enum<E>> E parseEnum(Class<E> type, String value, String field) {
        try {
            return Enum.valueOf(type, value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(field + " must be one of revenue, conversions, profit; got '"
                    + value + "'");
        }
    }
}
