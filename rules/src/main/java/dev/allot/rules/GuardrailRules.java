package dev.allot.rules;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

/**
 * The active guardrail rule set and its history. Rule files come from a directory, which
 * {@link #reloadIfChanged()} polls; rule sets can also be submitted directly (admin API, Redis). A set that does
 * not pass the sandbox or does not compile is refused with its errors and the active one stays. A set whose
 * evaluations fail too often ({@link RuleHealth.Policy}) is replaced by the last good one, and the fallback is
 * reported until another set is activated. Reading the active set is a volatile read and every change is a
 * compare-and-set, so decisions and the event loop never wait for a compilation.
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

    /**
     * The replica abandoned a failing set.
     *
     * @param from     the failing set's version
     * @param to       the version now serving, or null when there was no good set to go back to
     * @param failures the failing set's failures by rule when it was abandoned
     */
    public record Fallback(String from, String to, Instant at, Map<String, Long> failures) {
    }

    /** Active set, the sets it replaced (newest first), and the fallback in force, if any. */
    private record State(RuleSet active, List<RuleSet> previous, Fallback fallback) {
    }

    private final Path directory;
    private final RuleVocabulary vocabulary;
    private final RuleHealth.Policy policy;
    private final AtomicReference<State> state = new AtomicReference<>(new State(null, List.of(), null));
    private volatile String lastDirectoryDigest;
    private volatile List<RuleError> lastErrors = List.of();

    /** @param vocabulary the fields rules may name: what every city the rules serve declares */
    public GuardrailRules(Path directory, RuleVocabulary vocabulary) {
        this(directory, vocabulary, RuleHealth.Policy.DEFAULT);
    }

    public GuardrailRules(Path directory, RuleVocabulary vocabulary, RuleHealth.Policy policy) {
        this.directory = directory;
        this.vocabulary = vocabulary;
        this.policy = policy;
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
        return RuleCompiler.compile(files, vocabulary, policy);
    }

    /** The active rule set, empty until one compiled. */
    public Optional<RuleSet> active() {
        return Optional.ofNullable(state.get().active());
    }

    /** The fallback in force: the active set replaced a failing one and no set has been activated since. */
    public Optional<Fallback> fallback() {
        return Optional.ofNullable(state.get().fallback());
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
        return install(result.ruleSet());
    }

    /** Makes {@code compiled}, a set this city's {@link #validate} produced, the active one. */
    public synchronized LoadResult install(RuleSet compiled) {
        lastErrors = List.of();
        compiled.health().onTrip(() -> fallBackFrom(compiled));
        state.updateAndGet(s -> new State(compiled, push(s.active(), s.previous()), null));
        LOG.info("Activated guardrail rules {} ({} rules)", compiled.version(), compiled.ruleCount());
        return new LoadResult(true, Optional.of(compiled), List.of());
    }

    /** Reactivates the set that was active before the current one. */
    public Optional<RuleSet> rollback() {
        State before = state.getAndUpdate(s -> s.previous().isEmpty() ? s
                : new State(s.previous().get(0), s.previous().subList(1, s.previous().size()), null));
        if (before.previous().isEmpty()) {
            return Optional.empty();
        }
        RuleSet restored = before.previous().get(0);
        restored.health().rearm();
        LOG.info("Rolled back guardrail rules {} to {}", before.active().version(), restored.version());
        return Optional.of(restored);
    }

    /** Versions, newest first: the active one, then the ones it replaced. */
    public List<String> versions() {
        State s = state.get();
        return Stream.concat(Stream.ofNullable(s.active()), s.previous().stream()).map(RuleSet::version).toList();
    }

    /**
     * Replaces {@code failing} by the newest earlier set that has not failed here, if {@code failing} is still
     * active. Runs on the thread whose evaluation tripped the set: a compare-and-set, nothing more.
     */
    private void fallBackFrom(RuleSet failing) {
        State after = state.updateAndGet(s -> {
            if (s.active() != failing) {
                return s;
            }
            Fallback fallback;
            for (int i = 0; i < s.previous().size(); i++) {
                RuleSet good = s.previous().get(i);
                if (!good.health().tripped()) {
                    fallback = new Fallback(failing.version(), good.version(), Instant.now(),
                            failing.health().failures());
                    List<RuleSet> rest = new ArrayList<>(s.previous().subList(i + 1, s.previous().size()));
                    return new State(good, List.copyOf(rest), fallback);
                }
            }
            return new State(failing, s.previous(), new Fallback(failing.version(), null, Instant.now(),
                    failing.health().failures()));
        });
        if (after.fallback() != null && after.fallback().from().equals(failing.version())) {
            LOG.error("Guardrail rules {} fail too often ({} of {} evaluations, by rule: {}); {}", failing.version(),
                    failing.health().failureCount(), failing.health().evaluations(), failing.health().failures(),
                    after.fallback().to() == null ? "no earlier good set to fall back to: arrivals it fails get"
                            + " no coupon" : "fell back to " + after.fallback().to());
        }
    }

    private static List<RuleSet> push(RuleSet current, List<RuleSet> previous) {
        if (current == null) {
            return previous;
        }
        List<RuleSet> list = new ArrayList<>(HISTORY);
        list.add(current);
        list.addAll(previous.subList(0, Math.min(previous.size(), HISTORY - 1)));
        return List.copyOf(list);
    }

    private Map<String, String> readDirectory() {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> paths = Files.list(directory)) {
            for (Path p : paths.filter(p -> RuleCompiler.isRuleFile(p.getFileName().toString())).toList()) {
                String name = p.getFileName().toString();
                // A workbook is binary; rule sets carry it base64-encoded, as the admin API takes it.
                files.put(name, name.endsWith(".xlsx") ? Base64.getEncoder().encodeToString(Files.readAllBytes(p))
                        : Files.readString(p, StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read rule directory " + directory + ": " + e.getMessage(), e);
        }
        return files;
    }
}
