package dev.allot.rules.sandbox;

import com.github.javaparser.JavaParser;
import com.github.javaparser.ParseResult;
import com.github.javaparser.ParserConfiguration;
import com.github.javaparser.Problem;
import com.github.javaparser.ast.Node;
import com.github.javaparser.ast.expr.BinaryExpr;
import com.github.javaparser.ast.expr.BooleanLiteralExpr;
import com.github.javaparser.ast.expr.CharLiteralExpr;
import com.github.javaparser.ast.expr.ConditionalExpr;
import com.github.javaparser.ast.expr.DoubleLiteralExpr;
import com.github.javaparser.ast.expr.EnclosedExpr;
import com.github.javaparser.ast.expr.Expression;
import com.github.javaparser.ast.expr.FieldAccessExpr;
import com.github.javaparser.ast.expr.IntegerLiteralExpr;
import com.github.javaparser.ast.expr.LongLiteralExpr;
import com.github.javaparser.ast.expr.MethodCallExpr;
import com.github.javaparser.ast.expr.NameExpr;
import com.github.javaparser.ast.expr.NullLiteralExpr;
import com.github.javaparser.ast.expr.StringLiteralExpr;
import com.github.javaparser.ast.expr.ThisExpr;
import com.github.javaparser.ast.expr.UnaryExpr;
import com.github.javaparser.ast.stmt.BlockStmt;
import com.github.javaparser.ast.stmt.EmptyStmt;
import com.github.javaparser.ast.stmt.ExpressionStmt;
import com.github.javaparser.ast.stmt.IfStmt;
import com.github.javaparser.ast.stmt.Statement;
import dev.allot.rules.RuleError;
import dev.allot.rules.RuleVocabulary;
import org.drools.drl.ast.descr.AccumulateDescr;
import org.drools.drl.ast.descr.AndDescr;
import org.drools.drl.ast.descr.AtomicExprDescr;
import org.drools.drl.ast.descr.AttributeDescr;
import org.drools.drl.ast.descr.BaseDescr;
import org.drools.drl.ast.descr.BindingDescr;
import org.drools.drl.ast.descr.ConstraintConnectiveDescr;
import org.drools.drl.ast.descr.ExistsDescr;
import org.drools.drl.ast.descr.ExprConstraintDescr;
import org.drools.drl.ast.descr.ForallDescr;
import org.drools.drl.ast.descr.ImportDescr;
import org.drools.drl.ast.descr.NotDescr;
import org.drools.drl.ast.descr.OrDescr;
import org.drools.drl.ast.descr.PackageDescr;
import org.drools.drl.ast.descr.PatternDescr;
import org.drools.drl.ast.descr.RelationalExprDescr;
import org.drools.drl.ast.descr.RuleDescr;
import org.drools.drl.parser.DroolsError;
import org.drools.drl.parser.DroolsParserException;
import org.drools.drl.parser.DrlExprParser;
import org.drools.drl.parser.DrlExprParserFactory;
import org.drools.drl.parser.DrlParser;
import org.drools.drl.parser.ParserError;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Holds rules to what they are for: read the facts, act through the collector. A DRL file is parsed with
 * Drools' own parser; every element of the result is checked against an allow-list ({@link FactModel}), and
 * constraint expressions and consequences are parsed as Java and checked node by node. Whatever is not on the
 * list is refused with its file, line, column and the construct named: imports, globals, functions, declared
 * types, queries, {@code eval}, {@code from}, {@code collect}, entry points, custom accumulate code, {@code new},
 * casts, static calls, loops, assignments, and any method other than the facts' getters and the collector's
 * actions.
 *
 * <p>The checked {@link PackageDescr} is what gets compiled (not the text again), so the validator and the
 * compiler cannot read the same file two ways.
 */
public final class DrlSandbox {

    /** The package every guardrail rule compiles into. */
    public static final String PACKAGE = "dev.allot.guardrails";
    /** Larger files are refused before parsing: no business rule set comes near it. */
    public static final int MAX_FILE_CHARS = 256 * 1024;
    /** Each {@code LevelCandidate} pattern multiplies the matches to try by the ladder's length. */
    static final int MAX_LEVEL_PATTERNS = 3;
    static final int MAX_PATTERNS = 12;

    private static final Set<String> OPERATORS = Set.of("==", "!=", "<", "<=", ">", ">=", "contains",
            "memberOf");
    /** {@code userId str[startsWith] "staff-"}: prefix and suffix tests without regular expressions. */
    private static final Set<String> STR_OPERATIONS = Set.of("startsWith", "endsWith");
    private static final Set<String> ACCUMULATE_FUNCTIONS = Set.of("count", "sum", "min", "max", "average");
    private static final Set<String> RULE_ATTRIBUTES = Set.of("salience", "no-loop", "lock-on-active",
            "activation-group", "enabled");
    /** The name the verdict goes by in every rule. */
    public static final String VERDICT_BINDING = "$v";
    private static final Pattern UNICODE_ESCAPE = Pattern.compile("\\\\+u");

    /**
     * A checked file: the descriptor to compile, or the reasons it may not be.
     *
     * @param interpretOnly the file uses {@code str[...]}, whose bytecode form is broken in Drools 10.2.0: its
     *                      constraints must stay interpreted
     * @param joinRules     rules joining two or more {@code LevelCandidate} patterns (the costly ones to match)
     */
    public record Checked(String file, PackageDescr descr, List<RuleError> errors, boolean interpretOnly,
                          int joinRules) {
        public Checked(String file, PackageDescr descr, List<RuleError> errors) {
            this(file, descr, errors, false, 0);
        }

        public boolean ok() {
            return errors.isEmpty();
        }
    }

    private final RuleVocabulary vocabulary;

    public DrlSandbox(RuleVocabulary vocabulary) {
        this.vocabulary = vocabulary;
    }

    public Checked check(String file, String drl) {
        try {
            return checkFile(file, drl);
        } catch (StackOverflowError e) {
            // Thousands of nested parentheses overflow a recursive parser: the file's fault, not the service's.
            return new Checked(file, null, List.of(new RuleError(file, 1, 0, "the file is nested too deeply to be"
                    + " read")));
        }
    }

    private Checked checkFile(String file, String drl) {
        List<RuleError> errors = new ArrayList<>();
        if (drl.length() > MAX_FILE_CHARS) {
            errors.add(new RuleError(file, 1, 0, "the file has " + drl.length() + " characters; at most "
                    + MAX_FILE_CHARS + " are accepted"));
            return new Checked(file, null, errors);
        }
        // Java reads unicode escapes before anything else, so an escaped line feed inside a comment ends the comment
        // for the compiler while a parser that leaves escapes alone still sees a comment. No rule needs them.
        Matcher escape = UNICODE_ESCAPE.matcher(drl);
        while (escape.find()) {
            if ((escape.end() - escape.start() - 1) % 2 == 1) {
                int[] at = position(drl, escape.start());
                errors.add(new RuleError(file, at[0], at[1], "unicode escape (\\u) is not allowed: write the"
                        + " character itself"));
            }
        }
        if (!errors.isEmpty()) {
            return new Checked(file, null, errors);
        }
        DrlParser parser = new DrlParser(DrlParser.DEFAULT_LANGUAGE_LEVEL);
        PackageDescr pkg;
        try {
            pkg = parser.parse(false, drl);
        } catch (DroolsParserException e) {
            errors.add(new RuleError(file, Math.max(e.getLineNumber(), 0), Math.max(e.getColumn(), 0),
                    e.getMessage()));
            return new Checked(file, null, errors);
        }
        if (parser.hasErrors() || pkg == null) {
            for (DroolsError error : parser.getErrors()) {
                int line = error instanceof ParserError p ? p.getRow() : firstLine(error.getLines());
                int column = error instanceof ParserError p ? p.getCol() : 0;
                errors.add(new RuleError(file, line, column, error.getMessage()));
            }
            if (errors.isEmpty()) {
                errors.add(new RuleError(file, 0, 0, "the file could not be parsed as DRL"));
            }
            return new Checked(file, null, errors);
        }
        FileCheck walk = new FileCheck(file, drl, errors);
        walk.check(pkg);
        if (!errors.isEmpty()) {
            return new Checked(file, null, errors);
        }
        // Business users need not write imports: the facts are always in scope.
        Set<String> imported = new HashSet<>();
        pkg.getImports().forEach(i -> imported.add(i.getTarget()));
        for (FactModel fact : FactModel.facts().toList()) {
            if (imported.add(fact.type.getName())) {
                pkg.addImport(new ImportDescr(fact.type.getName()));
            }
        }
        return new Checked(file, pkg, List.of(), walk.strOperator, walk.joinRules);
    }

    private static int firstLine(int[] lines) {
        return lines == null || lines.length == 0 ? 0 : lines[0];
    }

    private static int[] position(String text, int offset) {
        int line = 1;
        int lineStart = 0;
        for (int i = 0; i < offset; i++) {
            if (text.charAt(i) == '\n') {
                line++;
                lineStart = i + 1;
            }
        }
        return new int[] {line, offset - lineStart + 1};
    }

    /** One file's walk: collects every refusal rather than stopping at the first. */
    private final class FileCheck {

        private final String file;
        private final List<String> lines;
        private final List<RuleError> errors;
        private boolean strOperator;
        private int joinRules;
        private final JavaParser java = new JavaParser(new ParserConfiguration()
                .setLanguageLevel(ParserConfiguration.LanguageLevel.JAVA_17));

        FileCheck(String file, String drl, List<RuleError> errors) {
            this.file = file;
            this.lines = drl.lines().toList();
            this.errors = errors;
        }

        private void refuse(BaseDescr at, String message) {
            refuse(at == null ? 0 : at.getLine(), at == null ? 0 : at.getColumn(), message);
        }

        private void refuse(int line, int column, String message) {
            errors.add(new RuleError(file, Math.max(line, 0), Math.max(column, 0), message));
        }

        void check(PackageDescr pkg) {
            String name = pkg.getName();
            if (name != null && !name.isEmpty() && !name.equals(PACKAGE)) {
                refuse(pkg, "package " + name + " is not allowed: guardrail rules live in " + PACKAGE);
            }
            if (pkg.getUnit() != null) {
                refuse(pkg.getUnit(), "rule units are not allowed");
            }
            for (ImportDescr imp : pkg.getImports()) {
                if (FactModel.byPatternType(imp.getTarget()).filter(f -> f.type.getName().equals(imp.getTarget()))
                        .isEmpty()) {
                    refuse(imp, "import " + imp.getTarget() + " is not allowed: rules see only the facts ("
                            + FactModel.names() + "), which need no import");
                }
            }
            pkg.getFunctionImports().forEach(f -> refuse(f, "import function " + f.getTarget()
                    + " is not allowed"));
            pkg.getAccumulateImports().forEach(a -> refuse(a, "import accumulate " + a.getTarget()
                    + " is not allowed"));
            pkg.getGlobals().forEach(g -> refuse(g, "global " + g.getIdentifier() + " is not allowed: rules share"
                    + " no state"));
            pkg.getFunctions().forEach(f -> refuse(f, "function " + f.getName() + " is not allowed: a function is"
                    + " Java code"));
            pkg.getTypeDeclarations().forEach(t -> refuse(t, "declare " + t.getTypeName() + " is not allowed:"
                    + " rules use the fact model as it is"));
            pkg.getEnumDeclarations().forEach(t -> refuse(t, "declare enum " + t.getTypeName()
                    + " is not allowed"));
            pkg.getEntryPointDeclarations().forEach(e -> refuse(e, "declare entry-point is not allowed"));
            pkg.getWindowDeclarations().forEach(w -> refuse(w, "declare window is not allowed"));
            for (AttributeDescr attribute : pkg.getAttributes()) {
                if (!(attribute.getName().equals("dialect") && "java".equals(attribute.getValue()))) {
                    refuse(attribute, "package attribute " + attribute.getName() + " is not allowed");
                }
            }
            for (RuleDescr rule : pkg.getRules()) {
                new RuleCheck(rule).check();
            }
        }

        /** One rule: its bindings, attributes, conditions and consequence. */
        private final class RuleCheck {

            private final RuleDescr rule;
            private final Map<String, FactModel> factBindings = new HashMap<>();
            private final Set<String> valueBindings = new HashSet<>();
            private int patterns;
            private int levelPatterns;

            RuleCheck(RuleDescr rule) {
                this.rule = rule;
            }

            void check() {
                String what = "rule \"" + rule.getName() + "\": ";
                if (rule.isQuery()) {
                    refuse(rule, "query " + rule.getName() + " is not allowed");
                    return;
                }
                if (!rule.getAnnotations().isEmpty()) {
                    refuse(rule, what + "annotations (@" + rule.getAnnotationNames().iterator().next()
                            + ") are not allowed");
                }
                for (AttributeDescr attribute : rule.getAttributes().values()) {
                    checkAttribute(what, attribute);
                }
                if (!rule.getNamedConsequences().isEmpty()) {
                    refuse(rule, what + "named consequences (then[...], do[...]) are not allowed");
                }
                bindVerdict();
                lhs(rule.getLhs());
                if (levelPatterns > 1) {
                    joinRules++;
                }
                if (levelPatterns > MAX_LEVEL_PATTERNS) {
                    refuse(rule, what + levelPatterns + " LevelCandidate patterns; at most " + MAX_LEVEL_PATTERNS
                            + " (each multiplies the matches to try)");
                }
                if (patterns > MAX_PATTERNS) {
                    refuse(rule, what + patterns + " patterns; at most " + MAX_PATTERNS);
                }
                consequence(what);
            }

            /**
             * {@code $v} is always the verdict: a rule (or a decision-table action) that acts on it without binding
             * it gets the binding added, so business users need not write it.
             */
            private void bindVerdict() {
                boolean bound = rule.getLhs().getAllPatternDescr().stream()
                        .anyMatch(p -> VERDICT_BINDING.equals(p.getIdentifier()));
                if (!bound && rule.getConsequence() instanceof String text && text.contains(VERDICT_BINDING)) {
                    rule.getLhs().insertDescr(0, new PatternDescr(FactModel.VERDICT.simpleName(), VERDICT_BINDING));
                }
            }

            private void checkAttribute(String what, AttributeDescr attribute) {
                String name = attribute.getName();
                if (!RULE_ATTRIBUTES.contains(name)) {
                    if (name.equals("dialect") && "java".equals(attribute.getValue())) {
                        return;
                    }
                    refuse(attribute, what + "attribute " + name + " is not allowed (allowed: "
                            + String.join(", ", new TreeSet<>(RULE_ATTRIBUTES)) + ")");
                    return;
                }
                String value = attribute.getValue() == null ? "" : attribute.getValue().strip();
                // A salience or enabled expression is code that runs in the engine: only literals.
                if (name.equals("salience") && !value.matches("-?\\d{1,9}")) {
                    refuse(attribute, what + "salience must be a whole number, not " + value);
                } else if (name.equals("enabled") && !value.matches("true|false")) {
                    refuse(attribute, what + "enabled must be true or false, not " + value);
                }
            }

            private void lhs(BaseDescr descr) {
                // Exact classes, not instanceof: a subclass (GroupByDescr extends AccumulateDescr) may carry code
                // this walker does not know to look at, so anything unknown is refused.
                Class<?> kind = descr == null ? null : descr.getClass();
                if (kind == AndDescr.class || kind == OrDescr.class || kind == NotDescr.class
                        || kind == ExistsDescr.class || kind == ForallDescr.class) {
                    for (BaseDescr child : ((org.drools.drl.ast.descr.ConditionalElementDescr) descr).getDescrs()
                            .stream().map(BaseDescr.class::cast).toList()) {
                        lhs(child);
                    }
                } else if (kind == PatternDescr.class) {
                    pattern((PatternDescr) descr);
                } else {
                    refuse(descr, "rule \"" + rule.getName() + "\": " + construct(descr) + " is not allowed in a"
                            + " condition");
                }
            }

            private String construct(BaseDescr descr) {
                String simple = descr.getClass().getSimpleName().replace("Descr", "").toLowerCase(Locale.ROOT);
                return switch (simple) {
                    case "eval" -> "eval";
                    case "from" -> "from";
                    case "collect" -> "collect";
                    case "conditionalbranch" -> "if ... do[...]";
                    case "groupby" -> "groupby";
                    case "namedconsequence" -> "do[...]";
                    default -> simple;
                };
            }

            private void pattern(PatternDescr pattern) {
                patterns++;
                String what = "rule \"" + rule.getName() + "\": ";
                if (pattern.getSource() != null && pattern.getSource().getClass() == AccumulateDescr.class) {
                    accumulate(pattern, (AccumulateDescr) pattern.getSource());
                    return;
                }
                if (pattern.getSource() != null) {
                    refuse(pattern, what + construct(pattern.getSource()) + " (" + pattern.getSource().getText()
                            + ") is not allowed: patterns match the facts themselves");
                    return;
                }
                if (!pattern.getBehaviors().isEmpty()) {
                    refuse(pattern, what + "windows (over ...) are not allowed");
                }
                if (!pattern.getAnnotations().isEmpty()) {
                    refuse(pattern, what + "annotations on patterns are not allowed");
                }
                FactModel fact = FactModel.byPatternType(pattern.getObjectType()).orElse(null);
                if (fact == null) {
                    refuse(pattern, what + "pattern type " + pattern.getObjectType() + " is not a fact: rules match "
                            + FactModel.names());
                    return;
                }
                if (fact == FactModel.LEVEL) {
                    levelPatterns++;
                }
                if (pattern.getIdentifier() != null) {
                    factBindings.put(pattern.getIdentifier(), fact);
                }
                if (fact == FactModel.VERDICT && !pattern.getDescrs().isEmpty()) {
                    refuse(pattern, what + "Verdict takes no constraints: bind it ($v : Verdict()) and act on it");
                    return;
                }
                for (BaseDescr constraint : pattern.getDescrs()) {
                    constraint(constraint, fact);
                }
            }

            private void accumulate(PatternDescr result, AccumulateDescr accumulate) {
                String what = "rule \"" + rule.getName() + "\": ";
                if (accumulate.getInitCode() != null || accumulate.getActionCode() != null
                        || accumulate.getResultCode() != null || accumulate.getReverseCode() != null
                        || accumulate.getClassName() != null) {
                    refuse(accumulate, what + "accumulate with init/action/result code is not allowed: use count,"
                            + " sum, min, max or average");
                    return;
                }
                if (accumulate.getInput() != null) {
                    lhs(accumulate.getInput());
                }
                for (AccumulateDescr.AccumulateFunctionCallDescr function : accumulate.getFunctions()) {
                    if (!ACCUMULATE_FUNCTIONS.contains(function.getFunction())) {
                        refuse(accumulate, what + "accumulate function " + function.getFunction()
                                + " is not allowed (allowed: " + String.join(", ", new TreeSet<>(ACCUMULATE_FUNCTIONS))
                                + ")");
                    }
                    for (String param : function.getParams()) {
                        expression(accumulate, param, null, false);
                    }
                    if (function.getBind() != null) {
                        valueBindings.add(function.getBind());
                    }
                }
                if (result.getIdentifier() != null) {
                    valueBindings.add(result.getIdentifier());
                }
                String type = result.getObjectType();
                if (!Set.of("Object", "Number", "Long", "Integer", "Double").contains(type)) {
                    refuse(result, what + "the result of accumulate is a number, not " + type);
                }
                for (BaseDescr constraint : result.getDescrs()) {
                    constraint(constraint, FactModel.RESULT);
                }
            }

            private void constraint(BaseDescr constraint, FactModel fact) {
                if (constraint == null || constraint.getClass() != ExprConstraintDescr.class) {
                    refuse(constraint, "rule \"" + rule.getName() + "\": " + construct(constraint)
                            + " is not allowed in a pattern");
                    return;
                }
                ExprConstraintDescr expr = (ExprConstraintDescr) constraint;
                DrlExprParser parser = DrlExprParserFactory.getDrlExprParser(DrlParser.DEFAULT_LANGUAGE_LEVEL);
                ConstraintConnectiveDescr tree = parser.parse(expr.getExpression());
                if (parser.hasErrors() || tree == null) {
                    refuse(expr, "rule \"" + rule.getName() + "\": cannot read the constraint "
                            + expr.getExpression());
                    return;
                }
                connective(expr, tree, fact);
            }

            private void connective(ExprConstraintDescr at, BaseDescr node, FactModel fact) {
                String what = "rule \"" + rule.getName() + "\": ";
                Class<?> kind = node == null ? null : node.getClass();
                if (kind == ConstraintConnectiveDescr.class) {
                    ConstraintConnectiveDescr connective = (ConstraintConnectiveDescr) node;
                    for (BaseDescr child : connective.getDescrs()) {
                        connective(at, child, fact);
                    }
                } else if (kind == BindingDescr.class) {
                    BindingDescr binding = (BindingDescr) node;
                    if (binding.isUnification()) {
                        refuse(at, what + "unification (:=) is not allowed");
                    }
                    expression(at, binding.getExpression(), fact, false);
                    valueBindings.add(binding.getVariable());
                } else if (kind == RelationalExprDescr.class) {
                    RelationalExprDescr relation = (RelationalExprDescr) node;
                    String operator = relation.getOperator();
                    boolean prefixOrSuffix = operator.equals("str") && relation.getParameters() != null
                            && relation.getParameters().size() == 1
                            && STR_OPERATIONS.contains(relation.getParameters().get(0));
                    strOperator |= prefixOrSuffix;
                    if (!OPERATORS.contains(operator) && !prefixOrSuffix) {
                        refuse(at, what + "operator " + operator + " is not allowed (allowed: "
                                + String.join(" ", new TreeSet<>(OPERATORS)) + " str[startsWith] str[endsWith])"
                                + (operator.equals("matches") ? "; regular expressions can take forever" : ""));
                    }
                    if (!prefixOrSuffix && relation.getParameters() != null && !relation.getParameters().isEmpty()) {
                        refuse(at, what + "operator parameters ([...]) are not allowed");
                    }
                    connective(at, relation.getLeft(), fact);
                    connective(at, relation.getRight(), fact);
                } else if (kind == AtomicExprDescr.class) {
                    AtomicExprDescr atom = (AtomicExprDescr) node;
                    expression(at, atom.getExpression(), fact, false);
                } else {
                    refuse(at, what + construct(node) + " is not allowed in a constraint");
                }
            }

            /** Parses a constraint's operand (MVEL read as Java: anything Java cannot read is refused). */
            private void expression(BaseDescr at, String text, FactModel implicit, boolean consequence) {
                String what = "rule \"" + rule.getName() + "\": ";
                if (text.indexOf('\\') >= 0) {
                    // MVEL and Java do not agree on every escape: no room for the two to read a literal differently.
                    refuse(at, what + "backslashes are not allowed in a condition: " + text);
                    return;
                }
                ParseResult<Expression> parsed = java.parseExpression(text);
                if (!parsed.isSuccessful() || parsed.getResult().isEmpty()) {
                    refuse(at, what + "not an allowed expression: " + text);
                    return;
                }
                Expression expression = parsed.getResult().get();
                if (!expression.getAllContainedComments().isEmpty() || expression.getComment().isPresent()) {
                    refuse(at, what + "comments are not allowed inside a condition");
                    return;
                }
                new ExpressionCheck(at.getLine(), at.getColumn(), implicit, consequence).check(expression);
            }

            private void consequence(String what) {
                Object consequence = rule.getConsequence();
                if (!(consequence instanceof String text) || text.isBlank()) {
                    return;
                }
                ParseResult<BlockStmt> parsed = java.parseBlock("{" + text + "\n}");
                int line = consequenceStart(text);
                if (!parsed.isSuccessful() || parsed.getResult().isEmpty()) {
                    Problem problem = parsed.getProblems().isEmpty() ? null : parsed.getProblems().get(0);
                    int at = problem == null ? 0 : problem.getLocation().flatMap(l -> l.getBegin().getRange())
                            .map(r -> r.begin.line).orElse(1);
                    refuse(line + Math.max(at - 1, 0), 0, what + "the consequence is not a sequence of actions"
                            + " (" + (problem == null ? "cannot be read" : problem.getMessage().lines().findFirst()
                            .orElse("")) + ")");
                    return;
                }
                for (Statement statement : parsed.getResult().get().getStatements()) {
                    statement(what, line, statement);
                }
            }

            /**
             * The line the consequence's text starts on. The parser gives the line of "then" and the text without
             * its leading blanks, which may start on that line or a later one.
             */
            private int consequenceStart(String text) {
                String first = text.strip().lines().findFirst().orElse("");
                int then = Math.max(rule.getConsequenceLine(), 1);
                for (int i = then - 1; i < lines.size(); i++) {
                    if (!first.isEmpty() && lines.get(i).contains(first)) {
                        return i + 1;
                    }
                }
                return then;
            }

            private void statement(String what, int baseLine, Statement statement) {
                int line = baseLine + statement.getBegin().map(p -> p.line).orElse(1) - 1;
                int column = statement.getBegin().map(p -> p.column).orElse(0);
                if (statement instanceof BlockStmt block) {
                    block.getStatements().forEach(s -> statement(what, baseLine, s));
                } else if (statement instanceof EmptyStmt) {
                    return;
                } else if (statement instanceof IfStmt branch) {
                    new ExpressionCheck(baseLine, column, null, true).check(branch.getCondition());
                    statement(what, baseLine, branch.getThenStmt());
                    branch.getElseStmt().ifPresent(s -> statement(what, baseLine, s));
                } else if (statement instanceof ExpressionStmt expression
                        && expression.getExpression() instanceof MethodCallExpr call
                        && call.getScope().filter(s -> s instanceof NameExpr).map(s -> ((NameExpr) s).getNameAsString())
                        .map(factBindings::get).filter(f -> f.actions.contains(call.getNameAsString())).isPresent()) {
                    ExpressionCheck args = new ExpressionCheck(baseLine, column, null, true);
                    call.getArguments().forEach(args::check);
                    if (call.getTypeArguments().isPresent()) {
                        refuse(line, column, what + "type arguments are not allowed");
                    }
                } else {
                    int before = errors.size();
                    if (statement instanceof ExpressionStmt expression) {
                        // Name the forbidden construct inside (a static call, new, ...) when there is one.
                        new ExpressionCheck(baseLine, column, null, true).check(expression.getExpression());
                    }
                    if (errors.size() == before) {
                        refuse(line, column, what + describe(statement) + " is not allowed in a consequence: it"
                                + " may only call the verdict's actions ($v.forbid, $v.capMaxLevel, $v.force,"
                                + " $v.deny), optionally under if");
                    }
                }
            }

            private String describe(Statement statement) {
                String name = statement.getClass().getSimpleName().replace("Stmt", "");
                return switch (name) {
                    case "While", "Do" -> "a " + name.toLowerCase(Locale.ROOT) + " loop";
                    case "For", "ForEach" -> "a for loop";
                    case "Expression" -> "the statement " + statement.toString().strip();
                    case "LocalClassDeclaration", "LocalRecordDeclaration" -> "a class declaration";
                    default -> "a " + name.toLowerCase(Locale.ROOT) + " statement";
                };
            }

            /** The allow-list for expressions, in a condition (with the pattern's fact as {@code this}) or an action. */
            private final class ExpressionCheck {

                private final int line;
                private final int column;
                private final FactModel implicit;
                private final boolean consequence;

                ExpressionCheck(int line, int column, FactModel implicit, boolean consequence) {
                    this.line = line;
                    this.column = column;
                    this.implicit = implicit;
                    this.consequence = consequence;
                }

                private void no(Node node, String message) {
                    int l = consequence ? line + node.getBegin().map(p -> p.line).orElse(1) - 1 : line;
                    refuse(l, column, "rule \"" + rule.getName() + "\": " + message);
                }

                void check(Expression e) {
                    if (e instanceof StringLiteralExpr || e instanceof IntegerLiteralExpr
                            || e instanceof LongLiteralExpr || e instanceof DoubleLiteralExpr
                            || e instanceof BooleanLiteralExpr || e instanceof NullLiteralExpr
                            || e instanceof CharLiteralExpr) {
                        return;
                    }
                    if (e instanceof EnclosedExpr enclosed) {
                        check(enclosed.getInner());
                    } else if (e instanceof BinaryExpr binary) {
                        check(binary.getLeft());
                        check(binary.getRight());
                    } else if (e instanceof UnaryExpr unary) {
                        if (unary.getOperator().isPrefix() && unary.getOperator() != UnaryExpr.Operator.PREFIX_INCREMENT
                                && unary.getOperator() != UnaryExpr.Operator.PREFIX_DECREMENT) {
                            check(unary.getExpression());
                        } else {
                            no(e, "an assignment (" + e + ") is not allowed");
                        }
                    } else if (e instanceof ConditionalExpr conditional) {
                        check(conditional.getCondition());
                        check(conditional.getThenExpr());
                        check(conditional.getElseExpr());
                    } else if (e instanceof NameExpr name) {
                        name(name);
                    } else if (e instanceof ThisExpr self) {
                        if (implicit == null || self.getTypeName().isPresent()) {
                            no(e, "this is only allowed inside a pattern");
                        }
                    } else if (e instanceof FieldAccessExpr field) {
                        field(field);
                    } else if (e instanceof MethodCallExpr call) {
                        call(call);
                    } else {
                        no(e, construct(e) + " is not allowed: " + e);
                    }
                }

                private String construct(Expression e) {
                    String name = e.getClass().getSimpleName().replace("Expr", "");
                    return switch (name) {
                        case "ObjectCreation" -> "new";
                        case "ArrayCreation", "ArrayInitializer" -> "an array";
                        case "ArrayAccess" -> "indexing ([...])";
                        case "Cast" -> "a cast";
                        case "Class" -> "a class literal";
                        case "Assign" -> "an assignment";
                        case "Lambda" -> "a lambda";
                        case "MethodReference" -> "a method reference";
                        case "InstanceOf" -> "instanceof";
                        case "Switch" -> "switch";
                        case "Super" -> "super";
                        case "TextBlockLiteral" -> "a text block";
                        default -> name.toLowerCase(Locale.ROOT);
                    };
                }

                private void name(NameExpr name) {
                    String id = name.getNameAsString();
                    if (factBindings.containsKey(id) || valueBindings.contains(id)) {
                        return;
                    }
                    if (!consequence && implicit != null && implicit.properties.contains(id)) {
                        return;
                    }
                    if (implicit != null && !consequence) {
                        no(name, "unknown name " + id + ": " + implicit.simpleName() + " has "
                                + (implicit.properties.isEmpty() ? "no properties"
                                : String.join(", ", new TreeSet<>(implicit.properties))) + ", or use a binding ($x)");
                    } else {
                        no(name, "unknown name " + id + ": only bindings ($x) may be named here");
                    }
                }

                private void field(FieldAccessExpr field) {
                    FactModel scope = factOf(field.getScope());
                    if (consequence || scope == null) {
                        no(field, "access to " + field + " is not allowed"
                                + (field.getScope() instanceof NameExpr n && Character.isUpperCase(
                                n.getNameAsString().charAt(0)) ? " (static state)" : ""));
                        return;
                    }
                    if (!scope.properties.contains(field.getNameAsString())) {
                        no(field, scope.simpleName() + " has no property " + field.getNameAsString()
                                + " (it has " + (scope.properties.isEmpty() ? "none"
                                : String.join(", ", new TreeSet<>(scope.properties))) + ")");
                    }
                }

                private static boolean qualifiedName(Expression e) {
                    return e instanceof NameExpr
                            || e instanceof FieldAccessExpr f && qualifiedName(f.getScope());
                }

                private FactModel factOf(Expression scope) {
                    if (scope instanceof NameExpr n) {
                        return factBindings.get(n.getNameAsString());
                    }
                    if (scope instanceof ThisExpr t && t.getTypeName().isEmpty() && !consequence) {
                        return implicit;
                    }
                    return null;
                }

                private void call(MethodCallExpr call) {
                    String method = call.getNameAsString();
                    Expression scopeExpr = call.getScope().orElse(null);
                    if (scopeExpr != null && !qualifiedName(scopeExpr)) {
                        // Name the innermost forbidden construct of a chain (new, a cast, getClass()...).
                        int before = errors.size();
                        check(scopeExpr);
                        if (errors.size() > before) {
                            return;
                        }
                    }
                    FactModel target = call.getScope().isEmpty() ? (consequence ? null : implicit)
                            : factOf(call.getScope().get());
                    if (target == null) {
                        String scope = call.getScope().map(Expression::toString).orElse("");
                        boolean isStatic = !scope.isEmpty() && Character.isUpperCase(scope.charAt(
                                scope.lastIndexOf('.') + 1));
                        no(call, (isStatic ? "static call " : "call ") + (scope.isEmpty() ? "" : scope + ".")
                                + method + "(...) is not allowed: rules may call only the facts' methods");
                        return;
                    }
                    if (call.getTypeArguments().isPresent()) {
                        no(call, "type arguments are not allowed");
                    }
                    if (!target.queries.contains(method)) {
                        no(call, method + "(...) is not allowed on " + target.simpleName()
                                + (target.actions.contains(method) ? ": actions go on their own line in the"
                                + " consequence" : " (allowed: " + (target.queries.isEmpty() ? "none"
                                : String.join(", ", new TreeSet<>(target.queries))) + ")"));
                        return;
                    }
                    if (FactModel.FIELD_METHODS.contains(method)) {
                        declaredField(call, method);
                        return;
                    }
                    call.getArguments().forEach(this::check);
                }

                private void declaredField(MethodCallExpr call, String method) {
                    if (call.getArguments().size() != 1 || !(call.getArgument(0) instanceof StringLiteralExpr literal)) {
                        no(call, method + "(...) takes the field's name in quotes, e.g. " + method + "(\"name\")");
                        return;
                    }
                    String field = literal.getValue();
                    if (method.equals("feature")) {
                        if (!vocabulary.features().contains(field)) {
                            no(call, "feature \"" + field + "\" is not declared (declared: "
                                    + list(vocabulary.features()) + ")");
                        }
                        return;
                    }
                    RuleVocabulary.Type type = vocabulary.attributes().get(field);
                    if (type == null) {
                        no(call, "attribute \"" + field + "\" is not declared (declared: "
                                + list(vocabulary.attributes().keySet()) + ")");
                    } else if (method.equals("isTrue") && type != RuleVocabulary.Type.BOOLEAN) {
                        no(call, "isTrue(\"" + field + "\") needs a boolean attribute; " + field + " is a " + type);
                    }
                }

                private String list(Set<String> names) {
                    return names.isEmpty() ? "none" : String.join(", ", new TreeSet<>(names));
                }
            }
        }
    }
}
