package dev.allot.app;

import com.fasterxml.jackson.databind.JsonNode;
import dev.allot.control.redis.EmbeddedRedisExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * While Redis cannot be asked for a user's coupons, the city chooses what the rules see: by default this replica's
 * own grants (the weekly cap still binds), or an unknown history (rules that need one do not fire).
 */
class HistoryWithoutRedisTest {

    @RegisterExtension
    static final EmbeddedRedisExtension REDIS = new EmbeddedRedisExtension();

    /** Everyone explores: a uniform pick among the allowed levels, so most arrivals get a coupon. */
    static final String EXPLORING = "{ \"explorationShare\": 1.0, \"holdoutShare\": 0.0 }";

    private static int[] couponsAndCaps(ServiceFixture service, String user) {
        int coupons = 0;
        int capped = 0;
        for (int i = 0; i < 15; i++) {
            JsonNode d = service.post("/v1/decisions", "{\"city\":\"demo\",\"userId\":\"" + user + "\","
                    + "\"segment\":\"new\",\"features\":{\"rides_30d\":1}}").body();
            coupons += d.get("coupon").asDouble() > 0 ? 1 : 0;
            for (JsonNode reason : d.get("reasons")) {
                capped += reason.get("rule").asText().equals("weekly-coupon-limit") ? 1 : 0;
            }
        }
        return new int[] {coupons, capped};
    }

    /**
     * Redis stopped, and past the 100 ms the grants view answers after its last read (it knows every grant until
     * then): from here on, no one can tell the user's coupons exactly.
     */
    private static void stopRedis(ServiceFixture service) throws InterruptedException {
        REDIS.stop();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (service.service().decisions().grants().current("demo") && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(service.service().decisions().grants().current("demo")).isFalse();
    }

    @Test
    void byDefaultTheReplicasOwnGrantsKeepTheWeeklyCapDuringAnOutage() throws Exception {
        try (ServiceFixture service = ServiceFixture.start(REDIS, ServiceFixture.city(EXPLORING))) {
            stopRedis(service);
            try {
                int[] result = couponsAndCaps(service, "frequent-buyer");
                assertThat(result[0]).as("coupons in 15 arrivals").isEqualTo(3);
                assertThat(result[1]).as("arrivals the weekly cap denied").isPositive();
            } finally {
                REDIS.start();
            }
        }
    }

    @Test
    void aCityMayChooseToLeaveTheHistoryUnknownAndTheCapThenDoesNotBind() throws Exception {
        String unknown = ServiceFixture.city("{ \"explorationShare\": 1.0, \"holdoutShare\": 0.0,"
                + " \"historyWhenUnknown\": \"unknown\" }");
        try (ServiceFixture service = ServiceFixture.start(REDIS, unknown)) {
            stopRedis(service);
            try {
                int[] result = couponsAndCaps(service, "another-buyer");
                assertThat(result[0]).as("coupons in 15 arrivals").isGreaterThan(3);
                assertThat(result[1]).isZero();
            } finally {
                REDIS.start();
            }
        }
    }
}
