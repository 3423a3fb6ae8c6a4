package dev.allot.app.control;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.allot.app.decision.CityRuntime;
import dev.allot.engine.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What this replica last knew of each city's control state (the controller's fields: λ, integral, freeze, gains,
 * day; and the Redis epoch it saw), kept on the replica's volume next to the journal. A replica that starts while
 * Redis is unreachable decides with the snapshot's λ when it is of today; and a Redis that comes back empty gets
 * its control state written back from what the replicas hold (see {@link CityController}).
 */
public final class ControlSnapshot {

    private static final Logger LOG = LoggerFactory.getLogger(ControlSnapshot.class);
    private static final TypeReference<Map<String, Map<String, String>>> SHAPE = new TypeReference<>() {
    };
    /** The key of the epoch among a city's snapshot fields. */
    static final String EPOCH = "_epoch";

    private final Path file;
    private Map<String, Map<String, String>> lastWritten = Map.of();

    public ControlSnapshot(Path file) {
        this.file = file;
    }

    /**
     * Blocking: gives each city the λ and controller fields of the snapshot when they are of the city's current day
     * (a day-old λ is the wrong start: the city's config has the day's λ₀), and the epoch it last saw.
     */
    public void restoreInto(Collection<CityRuntime> cities, long nowMillis) {
        if (!Files.exists(file)) {
            return;
        }
        Map<String, Map<String, String>> stored;
        try {
            stored = Json.MAPPER.readValue(file.toFile(), SHAPE);
        } catch (IOException e) {
            LOG.warn("Control snapshot {} is unreadable ({}): starting from the cities' configured λ", file,
                    e.getMessage());
            return;
        }
        for (CityRuntime city : cities) {
            Map<String, String> fields = stored.get(city.city());
            if (fields == null) {
                continue;
            }
            city.observeEpoch(fields.get(EPOCH));
            Map<String, String> pid = new LinkedHashMap<>(fields);
            pid.remove(EPOCH);
            String today = city.setup().config().tradingDay().keyOf(java.time.Instant.ofEpochMilli(nowMillis));
            boolean frozen = dev.allot.control.PidTicker.frozen(pid, nowMillis);
            if (today.equals(pid.get("day")) || frozen) {
                city.observe(pid, frozen, CityController.gains(pid, city), city.totals(), 0);
                LOG.info("City {}: λ {} from the control snapshot of {}", city.city(), city.lambda(), pid.get("day"));
            }
        }
    }

    /** Blocking: writes the cities' current view when it changed (atomically: a crash leaves the old file). */
    public void write(Collection<CityRuntime> cities) {
        Map<String, Map<String, String>> now = new LinkedHashMap<>();
        for (CityRuntime city : cities) {
            Map<String, String> fields = new LinkedHashMap<>(city.pidFields());
            fields.put("lambda", Double.toString(city.lambda()));
            if (city.epoch() != null) {
                fields.put(EPOCH, city.epoch());
            }
            now.put(city.city(), fields);
        }
        if (Objects.equals(now, lastWritten)) {
            return;
        }
        try {
            Files.createDirectories(file.getParent());
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Json.MAPPER.writeValue(tmp.toFile(), now);
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            lastWritten = now;
        } catch (IOException e) {
            LOG.warn("Cannot write the control snapshot {}: {}", file, e.toString());
        }
    }
}
