package dev.allot.app;

import dev.allot.control.redis.CityStore;
import dev.allot.control.redis.EmbeddedRedisExtension;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A Redis that hangs (SIGSTOP) rather than refusing connections: the request path pays one command timeout, then
 * leaves Redis alone while the circuit is open, and every decision answered during the freeze is counted once
 * when Redis resumes, though writes sent before the freeze are executed late and retried.
 */
class HungRedisTest {

    @RegisterExtension
    static final EmbeddedRedisExtension REDIS = new EmbeddedRedisExtension();

    /** The redis-server this test class started: a child of this JVM (the others' classes stopped theirs). */
    private static long redisPid() {
        return ProcessHandle.current().descendants()
                .filter(p -> p.info().command().orElse("").contains("redis")
                        || p.info().commandLine().orElse("").contains("redis"))
                .max(java.util.Comparator.comparing(p -> p.info().startInstant().orElse(java.time.Instant.EPOCH)))
                .orElseThrow(() -> new IllegalStateException("no redis-server child process"))
                .pid();
    }

    private static void signal(String signal, long pid) throws Exception {
        assertThat(new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).start().waitFor()).isZero();
    }

    /** As long as the acceptance's freeze: ten seconds of SIGSTOP. */
    private static final long FREEZE_NANOS = 10_000_000_000L;

    @Test
    void aFrozenRedisCostsOneTimeoutNotOnePerDecisionAndLosesNothing() throws Exception {
        try (ServiceFixture service = ServiceFixture.start(REDIS, ServiceFixture.BASE_CITY)) {
            int answered = 0;
            for (int i = 0; i < 20; i++) {
                answered += service.post("/v1/decisions", "{\"city\":\"demo\",\"userId\":\"warm-" + i + "\"}")
                        .status() == 200 ? 1 : 0;
            }
            long pid = redisPid();
            List<Long> micros = new ArrayList<>();
            signal("STOP", pid);
            try {
                long frozen = System.nanoTime();
                int i = 0;
                while (System.nanoTime() - frozen < FREEZE_NANOS) {
                    long sent = System.nanoTime();
                    ServiceFixture.Response r = service.post("/v1/decisions",
                            "{\"city\":\"demo\",\"userId\":\"frozen-" + i++ + "\",\"features\":{\"rides_30d\":2}}");
                    micros.add((System.nanoTime() - sent) / 1_000);
                    assertThat(r.status()).as(r.text()).isEqualTo(200);
                    answered++;
                }
            } finally {
                signal("CONT", pid);
            }
            Collections.sort(micros);
            long p50 = micros.get(micros.size() / 2);
            long p99 = micros.get((int) (micros.size() * 0.99));
            long max = micros.get(micros.size() - 1);
            System.out.println("frozen Redis: " + micros.size() + " decisions in 10 s, p50 " + p50 + " µs, p99 " + p99
                    + " µs, max " + max + " µs");
            assertThat(p50).as("p50 µs during the freeze").isLessThan(20_000);
            assertThat(p99).as("p99 µs during the freeze").isLessThan(100_000);
            assertThat(max).as("max µs: at most one command timeout and a little").isLessThan(700_000);

            service.drainAfterOutage();
            assertThat(service.service().decisions().city("demo").totals().decisions()).isEqualTo(answered);
            try (StatefulRedisConnection<String, String> redis = REDIS.connect()) {
                assertThat(StreamedDecisions.count(new CityStore(redis), "demo")).isEqualTo(answered);
            }
        }
    }
}
