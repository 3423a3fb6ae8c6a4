package dev.allot.rules;

/** A compilation error in a rule file, as business users need it: which file, which line, what is wrong. */
public record RuleError(String file, int line, int column, String message) {

    @Override
    public String toString() {
        return file + ":" + line + ":" + column + ": " + message;
    }
}
