package dev.allot.app.control;

import java.util.concurrent.atomic.AtomicReference;

/**
 * Whether the last Redis call failed. While degraded, decisions go on with the last known lambda and totals,
 * writes wait in the write-behind log, and the state endpoint says so.
 */
public final class RedisHealth {

    private final AtomicReference<String> lastError = new AtomicReference<>();

    public void failed(Throwable error) {
        lastError.set(error.getClass().getSimpleName() + ": " + error.getMessage());
    }

    public void succeeded() {
        lastError.set(null);
    }

    public boolean degraded() {
        return lastError.get() != null;
    }

    public String lastError() {
        return lastError.get();
    }
}
