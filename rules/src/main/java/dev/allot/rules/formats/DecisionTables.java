package dev.allot.rules.formats;

import dev.allot.rules.RuleError;
import org.drools.decisiontable.InputType;
import org.drools.decisiontable.SpreadsheetCompiler;

import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Decision tables (CSV, or XLSX sent base64-encoded) compiled to DRL by Drools' own decision-table compiler. The
 * DRL it produces goes through the sandbox like any other, so a table's RuleSet settings (Import, Functions,
 * Variables) and cell templates can carry nothing the sandbox refuses; {@link #cellOf} takes the sandbox's errors
 * back to the table's cells.
 */
public final class DecisionTables {

    /** Larger tables are refused before parsing: a rule table is a few kilobytes. */
    public static final int MAX_BYTES = 1024 * 1024;
    private static final Pattern PACKAGE = Pattern.compile("(?m)^package [^;\\n]*;");
    private static final Pattern RULE_CELLS = Pattern.compile("// rule values at ([A-Z]+)(\\d+), header at");

    private DecisionTables() {
    }

    public static boolean handles(String file) {
        return file.endsWith(".csv") || file.endsWith(".xlsx");
    }

    /** The DRL of a table, forced into the guardrails package, or the error that prevents it. */
    public static Converted toDrl(String file, byte[] content, String rulesPackage) {
        if (content.length > MAX_BYTES) {
            return refused(file, 1, "the table has " + content.length + " bytes; at most " + MAX_BYTES
                    + " are accepted");
        }
        String drl;
        try {
            drl = new SpreadsheetCompiler().compile(new ByteArrayInputStream(content),
                    file.endsWith(".csv") ? InputType.CSV : InputType.XLS);
        } catch (RuntimeException e) {
            String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            return refused(file, 1, "not a decision table Drools can read: " + message.lines().findFirst()
                    .orElse(""));
        }
        if (drl == null || drl.isBlank() || !drl.contains("rule \"")) {
            return refused(file, 1, "no RuleTable found: a table starts with a \"RuleTable <name>\" cell");
        }
        Matcher pkg = PACKAGE.matcher(drl);
        drl = pkg.find() ? pkg.replaceFirst("package " + rulesPackage + ";") : "package " + rulesPackage + ";\n" + drl;
        return new Converted(drl, List.of());
    }

    /**
     * The table cell a line of the generated DRL came from: the rule's row and first column (1-based), or row 1
     * for the RuleSet settings above the first rule.
     */
    public static int[] cellOf(String drl, int line) {
        List<String> lines = drl.lines().toList();
        for (int i = Math.min(line, lines.size()) - 1; i >= 0; i--) {
            Matcher m = RULE_CELLS.matcher(lines.get(i));
            if (m.find()) {
                return new int[] {Integer.parseInt(m.group(2)), column(m.group(1))};
            }
        }
        return new int[] {1, 1};
    }

    private static int column(String letters) {
        int column = 0;
        for (char c : letters.toCharArray()) {
            column = column * 26 + (c - 'A' + 1);
        }
        return column;
    }

    private static Converted refused(String file, int line, String message) {
        List<RuleError> errors = new ArrayList<>();
        errors.add(new RuleError(file, line, 1, message));
        return new Converted(null, errors);
    }
}
