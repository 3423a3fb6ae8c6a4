package dev.allot.rules;

import dev.allot.rules.formats.Converted;
import dev.allot.rules.formats.DecisionTables;
import dev.allot.rules.formats.JsonRules;
import dev.allot.rules.sandbox.DrlSandbox;
import org.kie.api.KieBaseConfiguration;
import org.kie.api.KieServices;
import org.kie.api.builder.KieBuilder;
import org.kie.api.builder.KieFileSystem;
import org.kie.api.builder.Message;
import org.kie.api.builder.Results;
import org.kie.api.conf.KieBaseMutabilityOption;
import org.kie.api.io.Resource;
import org.kie.api.io.ResourceType;
import org.kie.api.runtime.KieContainer;
import org.kie.internal.conf.ConstraintJittingThresholdOption;
import org.kie.internal.io.ResourceFactory;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Compiles DRL files into a {@link RuleSet}, or reports every error with its file and line. Every file goes
 * through the {@link DrlSandbox} first, whatever its source (directory, API, Redis), and what compiles is the
 * sandbox's checked descriptor, never the text read a second time. Compilation is slow (about a second the first
 * time, tens of milliseconds after) and blocking: run it on a worker thread.
 */
public final class RuleCompiler {

    /** Either a rule set or the errors that prevent one. */
    public record Result(RuleSet ruleSet, List<RuleError> errors) {
        public boolean ok() {
            return ruleSet != null;
        }
    }

    private static final String RESOURCE_ROOT = "src/main/resources/dev/allot/guardrails/";
    private static final String DESCR_SUFFIX = ".descr";
    /** Rules in one set that may join several ladder levels (see {@code DrlSandbox.MAX_LEVEL_PATTERNS}). */
    static final int MAX_JOIN_RULES = 20;

    private RuleCompiler() {
    }

    /** Sorted by name so the version digest does not depend on directory order. */
    public static Result compile(Map<String, String> files, RuleVocabulary vocabulary) {
        return compile(files, vocabulary, RuleHealth.Policy.DEFAULT);
    }

    /** As {@link #compile(Map, RuleVocabulary)}, with the failure policy the set's health is judged by. */
    public static synchronized Result compile(Map<String, String> files, RuleVocabulary vocabulary,
                                              RuleHealth.Policy policy) {
        Map<String, String> sorted = new TreeMap<>(files);
        if (sorted.isEmpty()) {
            return new Result(null, List.of(new RuleError("", 0, 0, "no rule files (*.drl, *.json, *.csv, *.xlsx) found")));
        }
        DrlSandbox sandbox = new DrlSandbox(vocabulary);
        List<RuleError> refused = new ArrayList<>();
        List<DrlSandbox.Checked> checked = new ArrayList<>();
        sorted.forEach((name, content) -> {
            int nul = content.indexOf('\0');
            if (nul >= 0) {
                // The version digest frames files with lengths, but no rule format has a use for NUL either.
                refused.add(new RuleError(name, (int) content.substring(0, nul).lines().count(), 0,
                        "the file contains a NUL character"));
                return;
            }
            DrlSandbox.Checked file = check(sandbox, vocabulary, name, content);
            refused.addAll(file.errors());
            checked.add(file);
        });
        int joins = checked.stream().mapToInt(DrlSandbox.Checked::joinRules).sum();
        if (refused.isEmpty() && joins > MAX_JOIN_RULES) {
            // Matching is not bounded by the firing and time checks (nothing fires while Drools joins), so the
            // costly joins are bounded here: each tries up to (ladder size)^3 combinations per arrival.
            refused.add(new RuleError(checked.get(0).file(), 1, 0, joins + " rules join several LevelCandidate"
                    + " patterns; a rule set may have at most " + MAX_JOIN_RULES));
        }
        if (!refused.isEmpty()) {
            return new Result(null, refused);
        }
        KieServices ks = KieServices.Factory.get();
        KieFileSystem kfs = ks.newKieFileSystem();
        for (DrlSandbox.Checked file : checked) {
            Resource resource = ResourceFactory.newDescrResource(file.descr());
            resource.setSourcePath(RESOURCE_ROOT + file.file() + DESCR_SUFFIX);
            resource.setResourceType(ResourceType.DESCR);
            kfs.write(resource);
        }
        KieBuilder builder = ks.newKieBuilder(kfs).buildAll();
        Results results = builder.getResults();
        if (results.hasMessages(Message.Level.ERROR)) {
            List<RuleError> errors = new ArrayList<>();
            for (Message m : results.getMessages(Message.Level.ERROR)) {
                String path = m.getPath() == null ? "" : m.getPath();
                // Rule files sit flat in one directory: the name after the last slash is the user's file.
                String file = path.substring(path.lastIndexOf('/') + 1);
                if (file.endsWith(DESCR_SUFFIX)) {
                    file = file.substring(0, file.length() - DESCR_SUFFIX.length());
                }
                errors.add(new RuleError(file, m.getLine(), m.getColumn(), m.getText().strip()));
            }
            return new Result(null, errors);
        }
        KieContainer container = ks.newKieContainer(builder.getKieModule().getReleaseId());
        KieBaseConfiguration configuration = ks.newKieBaseConfiguration();
        // A rule set never changes once compiled (a new version is a new KieBase): immutable, Drools keeps a
        // session's facts in one identity map instead of per-class stores rebuilt after every evaluation's reset,
        // and skips its queue of pending rule-base changes on every insert (docs/benchmarks.md).
        configuration.setOption(KieBaseMutabilityOption.DISABLED);
        if (checked.stream().anyMatch(DrlSandbox.Checked::interpretOnly)) {
            // Drools 10.2.0 compiles a constraint to bytecode after 20 evaluations, and the bytecode of its str[...]
            // operator calls a method that no longer exists (NoSuchMethodError). Interpreted, the set's rules take
            // about 2 µs more per evaluation (docs/benchmarks.md); sets without str[...] keep the bytecode.
            configuration.setOption(ConstraintJittingThresholdOption.get(-1));
        }
        return new Result(RuleSet.of(digest(sorted), sorted, container.newKieBase(configuration), policy),
                List.of());
    }

    /** The file names rule sets are made of, by format. */
    public static boolean isRuleFile(String name) {
        return name.endsWith(".drl") || name.endsWith(".json") || DecisionTables.handles(name);
    }

    /**
     * One file through its format's conversion (JSON rules, decision tables) and then the sandbox, with errors
     * at the lines and cells of the file the user wrote.
     */
    private static DrlSandbox.Checked check(DrlSandbox sandbox, RuleVocabulary vocabulary, String name,
                                            String content) {
        if (name.endsWith(".drl")) {
            return sandbox.check(name, content);
        }
        Converted converted;
        if (name.endsWith(".json")) {
            converted = JsonRules.toDrl(name, content, vocabulary);
        } else if (DecisionTables.handles(name)) {
            byte[] bytes;
            try {
                bytes = name.endsWith(".xlsx") ? Base64.getMimeDecoder().decode(content)
                        : content.getBytes(StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                return new DrlSandbox.Checked(name, null, List.of(new RuleError(name, 1, 1,
                        "an .xlsx file is sent base64-encoded: " + e.getMessage())));
            }
            converted = DecisionTables.toDrl(name, bytes, DrlSandbox.PACKAGE);
        } else {
            return new DrlSandbox.Checked(name, null, List.of(new RuleError(name, 0, 0,
                    "unknown rule format: name files .drl, .json, .csv or .xlsx")));
        }
        if (!converted.ok()) {
            return new DrlSandbox.Checked(name, null, converted.errors());
        }
        DrlSandbox.Checked checked = sandbox.check(name, converted.drl());
        if (checked.ok() || name.endsWith(".json")) {
            // JSON rules are validated field by field before they become DRL: a sandbox error there is ours.
            return checked;
        }
        List<RuleError> atCells = checked.errors().stream().map(e -> {
            int[] cell = DecisionTables.cellOf(converted.drl(), e.line());
            return new RuleError(name, cell[0], cell[1], "row " + cell[0] + ": " + e.message());
        }).toList();
        return new DrlSandbox.Checked(name, null, atCells);
    }

    /**
     * The version of a set of files: a SHA-256 over each name and content, each prefixed by its length, so no two
     * different sets of files share a version (128 bits kept: no collision search reaches it).
     */
    static String digest(Map<String, String> sorted) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sorted.forEach((name, content) -> {
                frame(sha, name.getBytes(StandardCharsets.UTF_8));
                frame(sha, content.getBytes(StandardCharsets.UTF_8));
            });
            return "rules-" + HexFormat.of().formatHex(sha.digest()).substring(0, 32);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void frame(MessageDigest sha, byte[] bytes) {
        sha.update(ByteBuffer.allocate(8).putLong(bytes.length).array());
        sha.update(bytes);
    }
}
