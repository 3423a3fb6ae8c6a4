package dev.allot.app.control;

import dev.allot.app.decision.CityRuntime;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

import java.util.Collection;

/**
 * Timers only: flush the write-behind log every few milliseconds, refresh each city's view of Redis, and tick
 * each city's PID at its (possibly admin-changed) interval. The work is in {@link CityController}.
 */
public final class ControlVerticle extends VerticleBase {

    private final CityController controller;
    private final Collection<CityRuntime> cities;
    private final long flushMillis;
    private final long refreshMillis;

    public ControlVerticle(CityController controller, Collection<CityRuntime> cities, long flushMillis,
                           long refreshMillis) {
        this.controller = controller;
        this.cities = cities;
        this.flushMillis = flushMillis;
        this.refreshMillis = refreshMillis;
    }

    @Override
    public Future<?> start() {
        vertx.setPeriodic(flushMillis, id -> controller.flush(context));
        vertx.setPeriodic(refreshMillis, id -> cities.forEach(c -> controller.refresh(c, context)));
        cities.forEach(this::scheduleTick);
        return Future.all(cities.stream().map(c -> controller.refresh(c, context).recover(e -> Future.succeededFuture()))
                .toList());
    }

    private void scheduleTick(CityRuntime city) {
        long delay = Math.max(100L, Math.round(city.gains().intervalSeconds() * 1000));
        vertx.setTimer(delay, id -> controller.tick(city, context).onComplete(ar -> scheduleTick(city)));
    }

    @Override
    public Future<?> stop() {
        // Whatever is still pending goes out before the replica leaves.
        return controller.flush(context);
    }
}
