package dev.allot.rules;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

/**
 * The active guardrail rule set and its history. Rule files ({@code *.drl}) come from a directory, which
 * {@link #reloadIfChanged()} polls; rule sets can also be submitted directly (admin API). A set that does not
 * compile is refused with its errors and the active one stays. Reading the active set is a volatile read,
 * so decisions never wait for a reload.
 */
public final class GuardrailRules {

    private static final Logger LOG = LoggerFactory.getLogger(GuardrailRules.class);
    private static final int HISTORY = 10;

    /** What a load attempt did. */
    public record LoadResult(boolean changed, Optional<RuleSet> activated, List<RuleError> errors) {
        static LoadResult unchanged() {
            return new LoadResult(false, Optional.empty(), List.of());
        }
    }

    private final Path directory;
    private final RuleVocabulary vocabulary;
    private final AtomicReference<RuleSet> active = new AtomicReference<>();
    private final Deque<RuleSet> previous = new ArrayDeque<>();
    private volatile String lastDirectoryDigest;
    private volatile List<RuleError> lastErrors = List.of();

    /** @param vocabulary the fields rules may name: what every city the rules serve declares */
    public GuardrailRules(Path directory, RuleVocabulary vocabulary) {
        this.directory = directory;
        this.vocabulary = vocabulary;
    }

    /** The rule files of {@code directory}, compiled, or an error listing why they do not compile. */
    public static RuleSet compile(Path directory, RuleVocabulary vocabulary) {
        GuardrailRules rules = new GuardrailRules(directory, vocabulary);
        rules.reloadIfChanged();
        return rules.active().orElseThrow(() -> new IllegalArgumentException("rules in " + directory
                + " do not compile: " + rules.lastErrors()));
    }

    public Path directory() {
        return directory;
    }

    public RuleVocabulary vocabulary() {
        return vocabulary;
    }

    /** Blocking: checks and compiles {@code files} without activating them. */
    public RuleCompiler.Result validate(Map<String, String> files) {
        return RuleCompiler.compile(files, vocabulary);
    }

    /** The active rule set, empty until one compiled. */
    public Optional<RuleSet> active() {
        return Optional.ofNullable(active.get());
    }

    /** Errors of the last refused load, empty if it succeeded. */
    public List<RuleError> lastErrors() {
        return lastErrors;
    }

    /** Blocking: reads and compiles the directory if its files changed since the last attempt. */
    public synchronized LoadResult reloadIfChanged() {
        Map<String, String> files = readDirectory();
        String digest = RuleCompiler.digest(files);
        if (digest.equals(lastDirectoryDigest)) {
            return LoadResult.unchanged();
        }
        lastDirectoryDigest = digest;
        return activate(files);
    }

    /** Blocking: compiles {@code files} and, if they compile, makes them the active set. */
    public synchronized LoadResult activate(Map<String, String> files) {
        RuleCompiler.Result result = validate(files);
        if (!result.ok()) {
            lastErrors = result.errors();
            LOG.error("Refused rule set from {}: {}; still serving {}", directory, result.errors(),
                    active().map(RuleSet::version).orElse("nothing"));
            return new LoadResult(true, Optional.empty(), result.errors());
        }
        lastErrors = List.of();
        RuleSet current = active.getAndSet(result.ruleSet());
        if (current != null) {
            previous.push(current);
            while (previous.size() > HISTORY) {
                previous.removeLast();
            }
        }
        LOG.info("Activated guardrail rules {} ({} rules)", result.ruleSet().version(), result.ruleSet().ruleCount());
        return new LoadResult(true, Optional.of(result.ruleSet()), List.of());
    }

    /** Reactivates the set that was active before the current one. */
    public synchronized Optional<RuleSet> rollback() {
        RuleSet before = previous.poll();
        if (before != null) {
            active.set(before);
        }
        return Optional.ofNullable(before);
    }

    /** Versions, newest first: the active one, then the ones it replaced. */
    public synchronized List<String> versions() {
        Stream<RuleSet> all = Stream.concat(active().stream(), previous.stream());
        return all.map(RuleSet::version).toList();
    }

    private Map<String, String> readDirectory() {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> paths = Files.list(directory)) {
            for (Path p : paths.filter(p -> p.getFileName().toString().endsWith(".drl")).toList()) {
                files.put(p.getFileName().toString(), Files.readString(p, StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read rule directory " + directory + ": " + e.getMessage(), e);
        }
        return files;
    }
}
