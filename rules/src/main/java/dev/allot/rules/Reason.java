package dev.allot.rules;

/** Why the allowed levels are what they are: the rule's name and its effect, returned in each decision. */
public record Reason(String rule, String effect) {
}
