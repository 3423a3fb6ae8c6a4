package dev.allot.rules;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The hostile rule sets of {@code src/test/resources/hostile}, in every format. Each file says, on the first line
 * holding {@code expect: }, what its refusal must name (a DRL comment, a CSV cell, a JSON description);
 * {@code MARKER} in a file stands for a path the payload would create. Shared with the service's tests, which
 * send the same files through the API and Redis.
 */
public final class HostileRuleSets {

    /** The directory, relative to this module. */
    public static final Path DIRECTORY = Path.of("src", "test", "resources", "hostile");
    /** The system property some payloads set: it must stay unset. */
    public static final String PWNED = "allot.pwned";

    /**
     * Not hostile but buggy: passes the sandbox, then divides by zero for arrivals of the "churned" segment. What
     * the runtime containment tests (here and in the service) fail with.
     */
    public static final String BUGGY_FOR_CHURNED = """
            rule "buggy-division"
            when
                $v : Verdict()
                Arrival( segment == "churned" )
                LevelCandidate( level == 0, $zero : level )
            then
                $v.capMaxLevel(5 / $zero);
            end
            """;

    /** One hostile file, its text with {@code MARKER} replaced, and the words its refusal must contain. */
    public record Hostile(String file, String text, String expected) {
        @Override
        public String toString() {
            return file;
        }
    }

    private HostileRuleSets() {
    }

    public static List<Hostile> load(Path directory, Path marker) {
        List<Hostile> sets = new ArrayList<>();
        try (var files = Files.list(directory)) {
            for (Path file : files.sorted().toList()) {
                String text = Files.readString(file);
                String line = text.lines().filter(l -> l.contains("expect: ")).findFirst()
                        .orElseThrow(() -> new IllegalStateException(file + " says nothing it expects"));
                String expected = line.substring(line.indexOf("expect: ") + "expect: ".length())
                        .replaceAll("\"?,?\\s*$", "").replace("\\\"", "\"");
                sets.add(new Hostile(file.getFileName().toString(), text.replace("MARKER", marker.toString()),
                        expected));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return sets;
    }
}
