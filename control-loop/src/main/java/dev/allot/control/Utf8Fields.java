package dev.allot.control;

import java.util.Map;

/**
 * Stream fields whose values already exist as UTF-8 (a decision record's JSON is written as bytes): the journal
 * and the Redis write take the bytes as they are, where a {@code String} would be copied and encoded twice more.
 * A {@link DecisionEvent}'s stream fields may implement it; whoever reads them as strings gets the same text.
 */
public interface Utf8Fields {

    /** Each field's name and UTF-8 value, in order. */
    Map<String, byte[]> utf8();
}
