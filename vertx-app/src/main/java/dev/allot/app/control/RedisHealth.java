package dev.allot.app.control;

import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisException;

import java.util.concurrent.atomic.AtomicReference;

/**
 * Whether the last Redis call failed. While degraded, decisions go on with the last known lambda and totals,
 * writes wait in the write-behind log, and the state endpoint says so.
 *
 * <p>A failure that says Redis is unreachable (a timeout, a lost connection) also opens a circuit for
 * {@link #OPEN_NANOS}: while it is open the request path does not call
 * Redis at all, so a hung Redis costs one command timeout, not one per decision. The background calls (flush,
 * refresh every half second) keep trying, and the first that succeeds closes it.
 */
public final class RedisHealth {

    /** How long the request path leaves Redis alone after a failure. */
    static final long OPEN_NANOS = 1_000_000_000L;

    private final AtomicReference<String> lastError = new AtomicReference<>();
    private volatile long openUntil = System.nanoTime();

    public void failed(Throwable error) {
        lastError.set(error.getClass().getSimpleName() + ": " + error.getMessage());
        if (unavailable(error)) {
            openUntil = System.nanoTime() + OPEN_NANOS;
        }
    }

    /**
     * Whether the error says Redis cannot be reached in time (a timeout, a lost or refused connection), as opposed
     * to an error of one command, which says nothing about the next.
     */
    static boolean unavailable(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof RedisCommandTimeoutException || t instanceof RedisConnectionException
                    || t instanceof java.io.IOException
                    || t instanceof RedisException && String.valueOf(t.getMessage()).contains("not connected")) {
                return true;
            }
        }
        return false;
    }

    public void succeeded() {
        lastError.set(null);
        openUntil = System.nanoTime();
    }

    /** Whether the request path should skip Redis now. */
    public boolean circuitOpen() {
        return System.nanoTime() - openUntil < 0;
    }

    public boolean degraded() {
        return lastError.get() != null;
    }

    public String lastError() {
        return lastError.get();
    }
}
