package dev.allot.rules.formats;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.allot.rules.RuleError;
import dev.allot.rules.RuleVocabulary;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The business rule format: each rule is a list of conditions over named fields and one action, in JSON a console
 * can edit. Every field a rule names must exist (and attributes and features be declared by the city), every
 * operator must suit the field's type, and every error points at its line and column in the JSON. A valid file is
 * turned into DRL, which then goes through the same sandbox as hand-written DRL.
 *
 * <pre>{@code
 * { "rules": [
 *   { "name": "no-coupon-fraud-risk",
 *     "when": [ { "field": "attribute.fraud_risk", "op": "is", "value": true } ],
 *     "then": { "action": "deny", "reason": "fraud risk" } } ] }
 * }</pre>
 */
public final class JsonRules {

    /** Names Drools can carry through to the reasons without quoting trouble. */
    static final Pattern RULE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9 _.:()-]{0,99}");
    private static final JsonMapper READER = JsonMapper.builder().build();

    private enum Kind { STRING, NUMBER, BOOLEAN, SET }

    /** A field of the fact model as the JSON format names it. */
    private record Field(String fact, String expression, Kind kind, boolean nullable) {
    }

    private static final Map<String, Field> FIXED = Map.ofEntries(
            Map.entry("segment", new Field("Arrival", "segment", Kind.STRING, false)),
            Map.entry("city", new Field("Arrival", "city", Kind.STRING, false)),
            Map.entry("userId", new Field("Arrival", "userId", Kind.STRING, false)),
            Map.entry("campaigns", new Field("Arrival", "campaigns", Kind.SET, false)),
            Map.entry("history.couponsLast7Days", new Field("CouponHistory", "couponsLast7Days", Kind.NUMBER, false)),
            Map.entry("history.known", new Field("CouponHistory", "known", Kind.BOOLEAN, false)),
            Map.entry("totals.decisions", new Field("DayTotals", "decisions", Kind.NUMBER, false)),
            Map.entry("totals.spend", new Field("DayTotals", "spend", Kind.NUMBER, false)),
            Map.entry("totals.segmentSpend", new Field("DayTotals", "segmentSpend", Kind.NUMBER, false)),
            Map.entry("totals.segmentShare", new Field("DayTotals", "segmentShare", Kind.NUMBER, false)),
            Map.entry("level.level", new Field("LevelCandidate", "level", Kind.NUMBER, false)),
            Map.entry("level.coupon", new Field("LevelCandidate", "coupon", Kind.NUMBER, false)),
            Map.entry("level.price", new Field("LevelCandidate", "price", Kind.NUMBER, false)),
            Map.entry("level.conversion", new Field("LevelCandidate", "conversion", Kind.NUMBER, false)));

    private static final Map<Kind, Set<String>> OPERATORS = Map.of(
            Kind.STRING, Set.of("==", "!=", "in", "not in", "startsWith", "endsWith"),
            Kind.NUMBER, Set.of("==", "!=", "<", "<=", ">", ">="),
            Kind.BOOLEAN, Set.of("is"),
            Kind.SET, Set.of("contains", "not contains"));
    private static final List<String> FACT_ORDER = List.of("Arrival", "CouponHistory", "DayTotals", "LevelCandidate");

    private JsonRules() {
    }

    public static Converted toDrl(String file, String json, RuleVocabulary vocabulary) {
        List<RuleError> errors = new ArrayList<>();
        Map<String, JsonLocation> where = new HashMap<>();
        JsonNode root;
        try {
            root = READER.readTree(json);
            index(json, where);
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            errors.add(new RuleError(file, at == null ? 0 : at.getLineNr(), at == null ? 0 : at.getColumnNr(),
                    "not valid JSON: " + e.getOriginalMessage()));
            return new Converted(null, errors);
        } catch (IOException e) {
            throw new UncheckedIOException("reading a string cannot fail this way", e);
        }
        new Conversion(file, vocabulary, where, errors).rules(root);
        return errors.isEmpty() ? new Converted(new Conversion(file, vocabulary, where, errors).drl(root), List.of())
                : new Converted(null, errors);
    }

    /** Line and column of every value, by JSON pointer, for errors a business user can find. */
    private static void index(String json, Map<String, JsonLocation> where) throws IOException {
        try (JsonParser parser = new JsonFactory().createParser(json)) {
            JsonToken token;
            while ((token = parser.nextToken()) != null) {
                if (token != JsonToken.FIELD_NAME && token != JsonToken.END_ARRAY && token != JsonToken.END_OBJECT) {
                    where.putIfAbsent(parser.getParsingContext().pathAsPointer().toString(),
                            parser.currentTokenLocation());
                }
            }
        }
    }

    private static final class Conversion {

        private final String file;
        private final RuleVocabulary vocabulary;
        private final Map<String, JsonLocation> where;
        private final List<RuleError> errors;

        Conversion(String file, RuleVocabulary vocabulary, Map<String, JsonLocation> where, List<RuleError> errors) {
            this.file = file;
            this.vocabulary = vocabulary;
            this.where = where;
            this.errors = errors;
        }

        private void error(String pointer, String message) {
            JsonLocation at = where.get(pointer);
            errors.add(new RuleError(file, at == null ? 1 : at.getLineNr(), at == null ? 1 : at.getColumnNr(),
                    path(pointer) + ": " + message));
        }

        /** "/rules/2/when/0/field" as a user reads it: rules[2].when[0].field. */
        private static String path(String pointer) {
            StringBuilder out = new StringBuilder();
            for (String part : pointer.substring(pointer.isEmpty() ? 0 : 1).split("/")) {
                if (part.matches("\\d+")) {
                    out.append('[').append(part).append(']');
                } else {
                    out.append(out.length() == 0 ? "" : ".").append(part);
                }
            }
            return out.length() == 0 ? "(file)" : out.toString();
        }

        void rules(JsonNode root) {
            if (!root.isObject()) {
                error("", "a rule file is an object with a \"rules\" list");
                return;
            }
            keys(root, "", Set.of("rules", "description"));
            JsonNode rules = root.get("rules");
            if (rules == null || !rules.isArray()) {
                error("", "\"rules\" must be a list of rules");
                return;
            }
            Set<String> names = new HashSet<>();
            for (int i = 0; i < rules.size(); i++) {
                rule(rules.get(i), "/rules/" + i, names);
            }
        }

        private void keys(JsonNode node, String pointer, Set<String> allowed) {
            for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
                String key = it.next();
                if (!allowed.contains(key)) {
                    error(pointer + "/" + key, "unknown key \"" + key + "\" (expected: "
                            + String.join(", ", new TreeSet<>(allowed)) + ")");
                }
            }
        }

        private void rule(JsonNode rule, String at, Set<String> names) {
            if (!rule.isObject()) {
                error(at, "a rule is an object with name, when and then");
                return;
            }
            keys(rule, at, Set.of("name", "description", "when", "then"));
            JsonNode name = rule.get("name");
            if (name == null || !name.isTextual() || !RULE_NAME.matcher(name.asText()).matches()) {
                error(at + (name == null ? "" : "/name"), "name is required: letters, digits, spaces and _ . : ( ) -,"
                        + " at most 100 characters");
            } else if (!names.add(name.asText())) {
                error(at + "/name", "another rule is already named \"" + name.asText() + "\"");
            }
            JsonNode when = rule.get("when");
            if (when == null || !when.isArray()) {
                error(at, "\"when\" must be a list of conditions (an empty list matches every arrival)");
            } else {
                for (int i = 0; i < when.size(); i++) {
                    condition(when.get(i), at + "/when/" + i);
                }
            }
            action(rule.get("then"), at + "/then", when);
        }

        private Field field(String name) {
            Field fixed = FIXED.get(name);
            if (fixed != null) {
                return fixed;
            }
            if (name.startsWith("attribute.")) {
                RuleVocabulary.Type type = vocabulary.attributes().get(name.substring("attribute.".length()));
                if (type == null) {
                    return null;
                }
                String attribute = name.substring("attribute.".length());
                return switch (type) {
                    case BOOLEAN -> new Field("Arrival", "isTrue(\"" + attribute + "\")", Kind.BOOLEAN, false);
                    case STRING -> new Field("Arrival", "attribute(\"" + attribute + "\")", Kind.STRING, true);
                    case NUMBER -> new Field("Arrival", "attribute(\"" + attribute + "\")", Kind.NUMBER, true);
                };
            }
            if (name.startsWith("feature.") && vocabulary.features().contains(name.substring("feature.".length()))) {
                return new Field("Arrival", "feature(\"" + name.substring("feature.".length()) + "\")", Kind.NUMBER,
                        true);
            }
            return null;
        }

        private String unknownField(String name) {
            if (name.startsWith("attribute.")) {
                return "attribute \"" + name.substring(10) + "\" is not declared (declared: "
                        + list(vocabulary.attributes().keySet()) + ")";
            }
            if (name.startsWith("feature.")) {
                return "feature \"" + name.substring(8) + "\" is not declared (declared: "
                        + list(vocabulary.features()) + ")";
            }
            return "unknown field \"" + name + "\" (fields: " + String.join(", ", new TreeSet<>(FIXED.keySet()))
                    + ", attribute.<name>, feature.<name>)";
        }

        private static String list(Set<String> names) {
            return names.isEmpty() ? "none" : String.join(", ", new TreeSet<>(names));
        }

        private void condition(JsonNode condition, String at) {
            if (!condition.isObject()) {
                error(at, "a condition is an object with field, op and value");
                return;
            }
            keys(condition, at, Set.of("field", "op", "value"));
            JsonNode fieldNode = condition.get("field");
            if (fieldNode == null || !fieldNode.isTextual()) {
                error(at, "\"field\" is required");
                return;
            }
            Field field = field(fieldNode.asText());
            if (field == null) {
                error(at + "/field", unknownField(fieldNode.asText()));
                return;
            }
            JsonNode op = condition.get("op");
            Set<String> allowed = OPERATORS.get(field.kind());
            if (op == null || !op.isTextual() || !allowed.contains(op.asText())) {
                error(at + (op == null ? "" : "/op"), "op for " + fieldNode.asText() + " must be one of "
                        + String.join(", ", new TreeSet<>(allowed)));
                return;
            }
            JsonNode value = condition.get("value");
            if (value == null) {
                error(at, "\"value\" is required");
                return;
            }
            String problem = valueProblem(field.kind(), op.asText(), value);
            if (problem != null) {
                error(at + "/value", problem);
            }
        }

        private static String valueProblem(Kind kind, String op, JsonNode value) {
            if (op.equals("in") || op.equals("not in")) {
                if (!value.isArray() || value.isEmpty()) {
                    return "op " + op + " takes a non-empty list of text values";
                }
                for (JsonNode v : value) {
                    String p = textProblem(v);
                    if (p != null) {
                        return p;
                    }
                }
                return null;
            }
            return switch (kind) {
                case STRING, SET -> textProblem(value);
                case NUMBER -> value.isNumber() && Double.isFinite(value.asDouble()) ? null : "a number is expected";
                case BOOLEAN -> value.isBoolean() ? null : "true or false is expected";
            };
        }

        private static String textProblem(JsonNode value) {
            if (!value.isTextual()) {
                return "text is expected";
            }
            String text = value.asText();
            if (text.length() > 200 || text.chars().anyMatch(c -> c == '"' || c == '\\' || c < 0x20)) {
                return "text may not contain quotes, backslashes or control characters (at most 200 characters)";
            }
            return null;
        }

        private void action(JsonNode then, String at, JsonNode when) {
            if (then == null || !then.isObject()) {
                error(at.substring(0, at.lastIndexOf('/')), "\"then\" is required: {\"action\": \"deny\" | "
                        + "\"capMaxLevel\" | \"force\" | \"forbid\", ...}");
                return;
            }
            JsonNode action = then.get("action");
            String name = action == null ? "" : action.asText();
            switch (name) {
                case "deny" -> {
                    keys(then, at, Set.of("action", "reason"));
                    JsonNode reason = then.get("reason");
                    if (reason == null || !reason.isTextual() || reason.asText().isBlank()
                            || reason.asText().length() > 200) {
                        error(at + (reason == null ? "" : "/reason"), "deny needs a reason (text, at most 200"
                                + " characters): it is what the decision reports");
                    }
                }
                case "capMaxLevel", "force" -> {
                    keys(then, at, Set.of("action", "level"));
                    level(then.get("level"), at, name);
                }
                case "forbid" -> {
                    keys(then, at, Set.of("action", "level"));
                    boolean matchesLevels = when != null && when.isArray() && streamFields(when).anyMatch(
                            f -> f.startsWith("level."));
                    if (then.get("level") != null) {
                        level(then.get("level"), at, name);
                    } else if (!matchesLevels) {
                        error(at, "forbid without a level forbids the levels the conditions match: add a"
                                + " level.* condition, or give \"level\"");
                    }
                }
                default -> error(at + (action == null ? "" : "/action"), "action must be deny, capMaxLevel,"
                        + " force or forbid");
            }
        }

        private void level(JsonNode level, String at, String action) {
            if (level == null || !level.canConvertToInt() || !level.isIntegralNumber() || level.asInt() < 0
                    || level.asInt() > 1000) {
                error(at + (level == null ? "" : "/level"), action + " needs a level: a whole number from 0");
            }
        }

        private static java.util.stream.Stream<String> streamFields(JsonNode when) {
            List<String> fields = new ArrayList<>();
            when.forEach(c -> {
                if (c.has("field")) {
                    fields.add(c.get("field").asText());
                }
            });
            return fields.stream();
        }

        /** The DRL of a file {@link #rules} accepted. */
        String drl(JsonNode root) {
            StringBuilder drl = new StringBuilder("// Generated from ").append(file).append(": edit that file.\n");
            for (JsonNode rule : root.get("rules")) {
                drl.append('\n').append("rule \"").append(rule.get("name").asText()).append("\"\nwhen\n")
                        .append("    $v : Verdict()\n");
                Map<String, List<String>> byFact = new LinkedHashMap<>();
                FACT_ORDER.forEach(f -> byFact.put(f, new ArrayList<>()));
                for (JsonNode condition : rule.get("when")) {
                    Field field = field(condition.get("field").asText());
                    byFact.get(field.fact()).addAll(constraints(field, condition.get("op").asText(),
                            condition.get("value")));
                }
                JsonNode then = rule.get("then");
                String action = then.get("action").asText();
                boolean forbidMatched = action.equals("forbid") && then.get("level") == null;
                byFact.forEach((fact, constraints) -> {
                    boolean bindLevel = fact.equals("LevelCandidate") && forbidMatched;
                    if (!constraints.isEmpty() || bindLevel) {
                        drl.append("    ").append(fact).append("( ").append(String.join(", ", constraints))
                                .append(bindLevel ? (constraints.isEmpty() ? "" : ", ") + "$level : level" : "")
                                .append(" )\n");
                    }
                });
                drl.append("then\n    ").append(switch (action) {
                    case "deny" -> "$v.deny(\"" + javaString(then.get("reason").asText()) + "\");";
                    case "capMaxLevel" -> "$v.capMaxLevel(" + then.get("level").asInt() + ");";
                    case "force" -> "$v.force(" + then.get("level").asInt() + ");";
                    default -> "$v.forbid(" + (forbidMatched ? "$level" : then.get("level").asInt()) + ");";
                }).append("\nend\n");
            }
            return drl.toString();
        }

        private static List<String> constraints(Field field, String op, JsonNode value) {
            List<String> out = new ArrayList<>();
            if (field.nullable()) {
                // An absent attribute or feature matches no comparison, rather than failing the evaluation.
                out.add(field.expression() + " != null");
            }
            String e = field.expression();
            out.add(switch (op) {
                case "is" -> value.asBoolean() ? e : "!" + e;
                case "in" -> e + " in (" + quotedList(value) + ")";
                case "not in" -> e + " not in (" + quotedList(value) + ")";
                case "startsWith", "endsWith" -> e + " str[" + op + "] \"" + value.asText() + "\"";
                case "contains", "not contains" -> e + " " + op + " \"" + value.asText() + "\"";
                default -> e + " " + op + " " + (field.kind() == Kind.NUMBER ? number(value)
                        : "\"" + value.asText() + "\"");
            });
            return out;
        }

        private static String number(JsonNode value) {
            return value.isIntegralNumber() ? Long.toString(value.asLong()) : Double.toString(value.asDouble());
        }

        private static String quotedList(JsonNode values) {
            List<String> quoted = new ArrayList<>();
            values.forEach(v -> quoted.add("\"" + v.asText() + "\""));
            return String.join(", ", quoted);
        }

        private static String javaString(String text) {
            StringBuilder out = new StringBuilder();
            for (char c : text.toCharArray()) {
                if (c == '"' || c == '\\') {
                    out.append('\\');
                }
                out.append(c < 0x20 ? ' ' : c);
            }
            return out.toString();
        }
    }
}
