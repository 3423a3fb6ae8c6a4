package dev.allot.app.control;

import dev.allot.app.decision.CityRuntime;
import dev.allot.control.PidTicker;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

/**
 * Timers only: flush the write-behind log every few milliseconds, refresh each city's view of Redis, tick each
 * city's PID at its interval (rescheduled as soon as ops change it), and keep the city's controller lease. The
 * work is in {@link CityController}.
 */
public final class ControlVerticle extends VerticleBase {

    private final CityController controller;
    private final Collection<CityRuntime> cities;
    private final long flushMillis;
    private final long refreshMillis;
    private final ControlSnapshot snapshot;
    /** The pending tick of each city, and the interval it was scheduled with. */
    private final Map<String, Scheduled> scheduled = new HashMap<>();
    /** The epochs in the last snapshot written on their account. */
    private Map<String, String> snapshotEpochs = Map.of();
    /** Set when stopping: no tick, renewal or rescheduling after the leases are given up. */
    private boolean stopped;

    private record Scheduled(long timer, double intervalSeconds) {
    }

    /** How often the control snapshot is written (when it changed). */
    static final long SNAPSHOT_MILLIS = 2_000;

    public ControlVerticle(CityController controller, Collection<CityRuntime> cities, long flushMillis,
                           long refreshMillis, ControlSnapshot snapshot) {
        this.controller = controller;
        this.snapshot = snapshot;
        this.cities = cities;
        this.flushMillis = flushMillis;
        this.refreshMillis = refreshMillis;
    }

    @Override
    public Future<?> start() {
        vertx.setPeriodic(flushMillis, id -> controller.flush(context));
        vertx.setPeriodic(refreshMillis, id -> cities.forEach(c -> {
            controller.refresh(c, context).onSuccess(v -> snapshotIfEpochChanged());
            rescheduleIfIntervalChanged(c);
        }));
        vertx.setPeriodic(SNAPSHOT_MILLIS, id -> writeSnapshot());
        for (CityRuntime city : cities) {
            scheduleTick(city);
            renewLease(city);
        }
        return Future.all(cities.stream().map(c -> controller.refresh(c, context).recover(e -> Future.succeededFuture()))
                .toList()).onComplete(ar -> snapshotIfEpochChanged());
    }

    /**
     * The epochs a replica knows are what lets its next process tell a Redis that lost its data: written as soon
     * as one changes, not at the next periodic write (a kill -9 may come first).
     */
    private void snapshotIfEpochChanged() {
        Map<String, String> now = new HashMap<>();
        cities.forEach(c -> now.put(c.city(), c.epoch()));
        if (!now.equals(snapshotEpochs)) {
            snapshotEpochs = now;
            writeSnapshot();
        }
    }

    private void scheduleTick(CityRuntime city) {
        if (stopped) {
            return;
        }
        double interval = city.gains().intervalSeconds();
        long delay = Math.max(100L, Math.round(interval * 1000));
        long timer = vertx.setTimer(delay, id -> {
            if (!stopped) {
                controller.tick(city, context).onComplete(ar -> scheduleTick(city));
            }
        });
        scheduled.put(city.city(), new Scheduled(timer, interval));
    }

    /** An interval changed by ops takes effect now, not after the old interval's pending tick. */
    private void rescheduleIfIntervalChanged(CityRuntime city) {
        if (stopped) {
            return;
        }
        Scheduled pending = scheduled.get(city.city());
        if (pending != null && pending.intervalSeconds() != city.gains().intervalSeconds()
                && vertx.cancelTimer(pending.timer())) {
            scheduleTick(city);
        }
    }

    /** The lease is renewed three times per lease, whatever the tick interval, and taken by a waiting replica. */
    private void renewLease(CityRuntime city) {
        if (stopped) {
            return;
        }
        long every = Math.max(100L, PidTicker.leaseMillis(city.gains()) / 3);
        vertx.setTimer(every, id -> {
            if (!stopped) {
                controller.renewLease(city, context).onComplete(ar -> renewLease(city));
            }
        });
    }

    @Override
    public Future<?> stop() {
        // Stop ticking and renewing first, or a timer firing during the flush below would take a lease back.
        stopped = true;
        controller.stopSteering();
        scheduled.values().forEach(s -> vertx.cancelTimer(s.timer()));
        // Give the cities' leases up so another replica steers at once. What is still pending is sent (with a
        // bounded wait) and journaled by the service's stop, after this.
        return Future.all(cities.stream().map(c -> controller.releaseLease(c, context)).toList())
                .eventually(this::writeSnapshot);
    }

    private Future<Void> writeSnapshot() {
        return vertx.executeBlocking(() -> {
            snapshot.write(cities);
            return null;
        }, false);
    }
}
