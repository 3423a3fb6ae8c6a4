package dev.allot.control;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

class DecisionIdsTest {

    @Test
    void anIdCarriesItsCityAndTheMillisecondOfItsDecision() {
        long at = 1_795_671_101_234L;
        String id = DecisionIds.next("shanghai", at);
        assertThat(id).startsWith("shanghai.");
        UUID uuid = UUID.fromString(id.substring("shanghai.".length()));
        assertThat(uuid.version()).isEqualTo(7);
        assertThat(uuid.variant()).isEqualTo(2);
        assertThat(DecisionIds.millis(id)).isEqualTo(at);
    }

    @Test
    void idsOfOneMillisecondDiffer() {
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            ids.add(DecisionIds.next("c", 42));
        }
        assertThat(ids).hasSize(10_000);
    }

    @Test
    void idsWithoutATimeGiveNone() {
        assertThat(DecisionIds.millis("d1")).isEqualTo(-1);
        assertThat(DecisionIds.millis("c.0190a3b4-5c6d-4e7f-8a9b-0c1d2e3f4a5b")).as("version 4").isEqualTo(-1);
        assertThat(DecisionIds.millis("c.0190a3b4-5c6d-7e7f-8a9b-0c1d2e3f4a5")).as("too short").isEqualTo(-1);
        assertThat(DecisionIds.millis("c.0190a3g4-5c6d-7e7f-8a9b-0c1d2e3f4a5b")).as("not hex").isEqualTo(-1);
    }

    @Test
    void aCityWithADotInItsNameStillParses() {
        String id = DecisionIds.next("st.petersburg", 1_000L);
        assertThat(DecisionIds.millis(id)).isEqualTo(1_000L);
    }
}
