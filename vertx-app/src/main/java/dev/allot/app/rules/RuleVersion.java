package dev.allot.app.rules;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;
import java.util.Map;

/**
 * One rule set as the lifecycle knows it: its files, who wrote it, the example arrivals it must decide as
 * expected, and who approved and activated it. The version is the digest of the files, the same string every
 * decision made with the set records.
 *
 * @param cities         the cities the set was checked for and may be activated in (empty: all)
 * @param examples       example arrivals with their expected verdicts, as submitted
 * @param exampleResults each example's outcome at validation
 * @param approvedBy     null until approved
 * @param activatedBy    null until activated (the last activation)
 */
public record RuleVersion(String version, Map<String, String> files, List<String> cities, String author,
                          String createdAt, String description, JsonNode examples, List<Examples.Result> exampleResults,
                          String approvedBy, String approvedAt, String activatedBy, String activatedAt) {

    public boolean examplesPassed() {
        return exampleResults.stream().allMatch(Examples.Result::passed);
    }

    public boolean approved() {
        return approvedBy != null;
    }

    /** The listing's view: everything but the files and the examples' bodies. */
    public Map<String, Object> summary() {
        Map<String, Object> out = new java.util.LinkedHashMap<>();
        out.put("version", version);
        out.put("files", files.keySet().stream().sorted().toList());
        out.put("cities", cities.isEmpty() ? "all" : cities);
        out.put("author", author);
        out.put("createdAt", createdAt);
        out.put("description", description);
        out.put("examples", exampleResults.size());
        out.put("examplesPassed", examplesPassed());
        out.put("approvedBy", approvedBy);
        out.put("approvedAt", approvedAt);
        out.put("activatedBy", activatedBy);
        out.put("activatedAt", activatedAt);
        return out;
    }
}
