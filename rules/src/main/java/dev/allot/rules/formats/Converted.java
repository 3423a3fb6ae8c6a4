package dev.allot.rules.formats;

import dev.allot.rules.RuleError;

import java.util.List;

/** A business-format rule file turned into DRL, or the errors (at the file's own lines) that prevent it. */
public record Converted(String drl, List<RuleError> errors) {

    public boolean ok() {
        return drl != null;
    }
}
