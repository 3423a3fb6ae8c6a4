package dev.allot.app.control;

import dev.allot.app.decision.CityRuntime;
import dev.allot.engine.CitySetup;
import dev.allot.scoring.ModelBundle;
import dev.allot.scoring.ModelFormatException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Replaces a city's model while it serves: on an admin call, or when the files in the city's model directory
 * change. The new bundle is loaded and checked (model against card, Java evaluator against native XGBoost,
 * card ladder against the city's ladder) before one volatile write makes it current; a decision in flight
 * finishes on the model it started with, and a model that fails a check is refused while the old one serves.
 * Blocking (file reads, native load): call on a worker thread.
 */
public final class ModelSwapper {

    private static final Logger LOG = LoggerFactory.getLogger(ModelSwapper.class);

    /** A model that cannot serve the city; the message says why. */
    public static final class Rejected extends Exception {
        public Rejected(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final Collection<CityRuntime> cities;
    private final Map<String, String> seen = new ConcurrentHashMap<>();

    public ModelSwapper(Collection<CityRuntime> cities) {
        this.cities = List.copyOf(cities);
        for (CityRuntime city : this.cities) {
            seen.put(city.city(), fingerprint(city.setup().model().directory()));
        }
    }

    /** Loads, checks and installs the model in {@code directory}; returns the version it replaced. */
    public synchronized String swap(CityRuntime city, Path directory) throws Rejected {
        ModelBundle bundle;
        try {
            bundle = ModelBundle.load(directory);
        } catch (ModelFormatException | java.io.UncheckedIOException e) {
            throw new Rejected("model in " + directory + " refused: " + e.getMessage(), e);
        }
        List<Double> ladder = new ArrayList<>();
        for (double d : city.setup().config().ladder().coupons()) {
            ladder.add(d);
        }
        if (!bundle.card().ladder().isEmpty() && !bundle.card().ladder().equals(ladder)) {
            throw new Rejected("model " + bundle.version() + " was trained over ladder " + bundle.card().ladder()
                    + " but city " + city.city() + " offers " + ladder, null);
        }
        String previous = city.setup().model().version();
        city.replace(CitySetup.of(city.setup().config(), bundle));
        seen.put(city.city(), fingerprint(directory));
        LOG.info("City {}: model {} replaced by {} from {}", city.city(), previous, bundle.version(), directory);
        return previous;
    }

    /** Reloads every city whose model directory changed since it was last loaded or refused. */
    public void reloadChanged() {
        for (CityRuntime city : cities) {
            Path directory = city.setup().model().directory();
            String now = fingerprint(directory);
            if (now.equals(seen.get(city.city()))) {
                continue;
            }
            // Remember even a refused state, so a bad file is reported once rather than every poll.
            seen.put(city.city(), now);
            try {
                swap(city, directory);
            } catch (Rejected e) {
                LOG.error("City {}: {}; still serving {}", city.city(), e.getMessage(), city.setup().model().version());
            }
        }
    }

    /** Card contents plus the model files' sizes and times: changes when any of them is rewritten. */
    private static String fingerprint(Path directory) {
        StringBuilder f = new StringBuilder();
        for (String name : new String[]{ModelBundle.CARD, ModelBundle.JSON_MODEL, ModelBundle.UBJ_MODEL}) {
            Path p = directory.resolve(name);
            try {
                f.append(name).append(':').append(Files.size(p)).append(':').append(Files.getLastModifiedTime(p))
                        .append(';');
                if (name.equals(ModelBundle.CARD)) {
                    f.append(Files.readString(p).hashCode()).append(';');
                }
            } catch (IOException e) {
                f.append(name).append(":absent;");
            }
        }
        return f.toString();
    }
}
