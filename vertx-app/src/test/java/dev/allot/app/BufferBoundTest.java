package dev.allot.app;

import dev.allot.control.redis.CityStore;
import dev.allot.control.redis.EmbeddedRedisExtension;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;


import static org.assertj.core.api.Assertions.assertThat;

/**
 * While Redis is down the write buffer fills; at its bound the service refuses new decisions with a clear 503
 * instead of answering decisions it could not keep or growing until the heap runs out. Nothing it answered is
 * lost: once Redis is back, the totals and the stream hold exactly the decisions that got a 200.
 */
class BufferBoundTest {

    @RegisterExtension
    static final EmbeddedRedisExtension REDIS = new EmbeddedRedisExtension();

    /** A journal bound of 40 KB: some 25 decisions (their stream entries are most of it). */
    private static final long JOURNAL_BOUND = 40_000;

    @Test
    void aFullJournalShedsWith503AndEveryAnsweredDecisionIsKept() throws Exception {
        try (ServiceFixture service = ServiceFixture.start(REDIS, ServiceFixture.BASE_CITY,
                s -> s.withMaxJournalBytes(JOURNAL_BOUND))) {
            int answered = 0;
            int shed = 0;
            REDIS.stop();
            try {
                for (int i = 0; i < 100; i++) {
                    ServiceFixture.Response r = service.post("/v1/decisions",
                            "{\"city\":\"demo\",\"userId\":\"full-" + i + "\",\"features\":{\"rides_30d\":4}}");
                    if (r.status() == 200) {
                        answered++;
                    } else {
                        assertThat(r.status()).as(r.text()).isEqualTo(503);
                        assertThat(r.body().get("error").asText()).isEqualTo("buffer_full");
                        shed++;
                    }
                    if (i % 10 == 9) {
                        // The flush timer journals every 10 ms; wait for it so the bound is met in bytes on disk.
                        Thread.sleep(30);
                    }
                }
                assertThat(service.get("/metrics").text())
                        .contains("allot_writebehind_shed_total{kind=\"decision\"} " + shed + ".0");
                assertThat(service.service().controller().log().journal().unappliedBytes())
                        .isGreaterThanOrEqualTo(JOURNAL_BOUND);
            } finally {
                REDIS.start();
            }
            System.out.println("full journal (" + JOURNAL_BOUND + " bytes): " + answered + " answered, " + shed
                    + " shed with 503");
            assertThat(answered).isBetween(10, 90);
            assertThat(answered + shed).isEqualTo(100);

            service.drainAfterOutage();
            assertThat(service.service().decisions().city("demo").totals().decisions()).isEqualTo(answered);
            try (StatefulRedisConnection<String, String> redis = REDIS.connect()) {
                assertThat(StreamedDecisions.count(new CityStore(redis), "demo")).isEqualTo(answered);
            }
            System.out.println("after Redis returned: decisions " + answered + ", stream " + answered);
            // With the journal drained, decisions are answered again.
            assertThat(service.post("/v1/decisions", "{\"city\":\"demo\",\"userId\":\"after\"}").status())
                    .isEqualTo(200);
        }
    }
}
