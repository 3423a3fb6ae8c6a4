package dev.allot.app;

import dev.allot.control.redis.EmbeddedRedisExtension;
import dev.allot.control.redis.RedisKeys;
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

    @Test
    void aFullBufferShedsWith503AndEveryAnsweredDecisionIsKept() throws Exception {
        try (ServiceFixture service = ServiceFixture.start(REDIS, ServiceFixture.BASE_CITY,
                s -> s.withMaxPendingWrites(40))) {
            int answered = 0;
            int shed = 0;
            REDIS.stop();
            try {
                for (int i = 0; i < 60; i++) {
                    ServiceFixture.Response r = service.post("/v1/decisions",
                            "{\"city\":\"demo\",\"userId\":\"full-" + i + "\",\"features\":{\"rides_30d\":4}}");
                    if (r.status() == 200) {
                        answered++;
                    } else {
                        assertThat(r.status()).as(r.text()).isEqualTo(503);
                        assertThat(r.body().get("error").asText()).isEqualTo("buffer_full");
                        shed++;
                    }
                }
                assertThat(service.get("/metrics").text())
                        .contains("allot_writebehind_shed_total{kind=\"decision\"} " + shed + ".0");
            } finally {
                REDIS.start();
            }
            assertThat(answered).isEqualTo(40);
            assertThat(shed).isEqualTo(20);

            service.drainAfterOutage();
            assertThat(service.service().decisions().city("demo").totals().decisions()).isEqualTo(answered);
            try (StatefulRedisConnection<String, String> redis = REDIS.connect()) {
                assertThat(redis.sync().xlen(RedisKeys.decisions("demo"))).isEqualTo(answered);
            }
            // With the buffer drained, decisions are answered again.
            assertThat(service.post("/v1/decisions", "{\"city\":\"demo\",\"userId\":\"after\"}").status())
                    .isEqualTo(200);
        }
    }
}
