package dev.allot.app;

import dev.allot.control.redis.CityStore;
import dev.allot.engine.DecisionCodec;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/** What a city's decision stream holds, read as the console and replays read it: decisions, not entries. */
final class StreamedDecisions {

    private StreamedDecisions() {
    }

    /** The ids of every decision in the stream, oldest first, repeats included. */
    static List<String> ids(CityStore store, String city) throws Exception {
        return store.decisionsBackward(city, Integer.MAX_VALUE, e -> false).toCompletableFuture()
                .get(30, TimeUnit.SECONDS).entries().stream()
                .map(e -> DecisionCodec.fromStream(e).decisionId()).toList();
    }

    /** How many decisions the stream holds, after checking that none is there twice. */
    static long count(CityStore store, String city) throws Exception {
        List<String> ids = ids(store, city);
        Set<String> distinct = new HashSet<>(ids);
        if (distinct.size() != ids.size()) {
            throw new AssertionError((ids.size() - distinct.size()) + " decisions are in the stream twice");
        }
        return ids.size();
    }
}
