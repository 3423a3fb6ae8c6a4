package dev.allot.bench.http;

import org.HdrHistogram.Histogram;

import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * How late this machine wakes a thread that sleeps 200 µs, with nothing else of the harness running: the floor under
 * every latency the harness then reports. On a virtual machine whose cores the host also schedules (and where a
 * kernel thread such as {@code kdamond} may take a core for milliseconds), it is far from zero; a server's p99.9 cannot
 * be read below it.
 *
 * <pre>java -cp benchmarks.jar dev.allot.bench.http.WakeUpJitter [SECONDS]</pre>
 */
public final class WakeUpJitter {

    private static final long SLEEP_NANOS = TimeUnit.MICROSECONDS.toNanos(200);

    private WakeUpJitter() {
    }

    public static void main(String[] args) {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        Histogram late = new Histogram(TimeUnit.SECONDS.toMicros(10), 3);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        // The first second warms the loop up and is not recorded.
        long recordFrom = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        for (long now = System.nanoTime(); now < end; ) {
            LockSupport.parkNanos(SLEEP_NANOS);
            long woke = System.nanoTime();
            if (now > recordFrom) {
                late.recordValue(Math.max(0, woke - now - SLEEP_NANOS) / 1_000);
            }
            now = woke;
        }
        System.out.printf(Locale.ROOT, "a 200 us sleep woke late by (ms): p50 %.3f  p99 %.3f  p99.9 %.3f  p99.99 %.3f"
                        + "  max %.3f  (%d sleeps)%n", ms(late, 50), ms(late, 99), ms(late, 99.9), ms(late, 99.99),
                late.getMaxValue() / 1000.0, late.getTotalCount());
    }

    private static double ms(Histogram h, double percentile) {
        return h.getValueAtPercentile(percentile) / 1000.0;
    }
}
