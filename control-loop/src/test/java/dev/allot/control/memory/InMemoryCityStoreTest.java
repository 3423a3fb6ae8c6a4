package dev.allot.control.memory;

import dev.allot.control.CityStateStore;
import dev.allot.control.CityStateStoreContract;
import dev.allot.control.DecisionEvent;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class InMemoryCityStoreTest extends CityStateStoreContract {

    private final AtomicLong now = new AtomicLong(1_000_000);
    private final InMemoryCityStore store = new InMemoryCityStore(now::get, 3);

    @Override
    protected CityStateStore store() {
        return store;
    }

    @Override
    protected void append(DecisionEvent event) {
        store.append(event);
    }

    @Override
    protected void expireLock(String city) {
        // The ticker's lock lives three intervals (30 s at a 10 s interval).
        now.addAndGet(31_000);
    }

    @Test
    void outcomesMatchOnlyTheNewestDecisionsItIndexes() throws Exception {
        for (int i = 0; i < 5; i++) {
            store.append(decision("d" + i, "u", "day", i, false));
        }
        assertThat(store.recordOutcome("c", "d0", "day", true, 10, 0, 9).toCompletableFuture().get())
                .isEqualTo(CityStateStore.OutcomeResult.UNKNOWN_DECISION);
        assertThat(store.recordOutcome("c", "d4", "day", true, 10, 0, 9).toCompletableFuture().get())
                .isEqualTo(CityStateStore.OutcomeResult.COUNTED);
    }
}
