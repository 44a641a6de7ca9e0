package dev.specdiff4j.engine.batch;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The drafting share of greedy speculating sequences: draftRows ÷ n², so that drafting fades out with the load. */
class BatchSettingsTest {
    @Test
    void theDefaultLetsOneOrTwoSequencesDraftFullyThreeATokenAndMoreNone() {
        BatchSettings d = new BatchSettings(16, 64, 1 << 20);
        assertThat(d.draftRows()).isEqualTo(12);
        assertThat(new int[] {d.greedyDraftShare(0), d.greedyDraftShare(1), d.greedyDraftShare(2), d.greedyDraftShare(3),
            d.greedyDraftShare(4), d.greedyDraftShare(16)}).containsExactly(0, 12, 3, 1, 0, 0);
    }

    @Test
    void otherBudgetsShareQuadratically() {
        BatchSettings wide = new BatchSettings(16, 64, 1 << 20, 64);
        assertThat(new int[] {wide.greedyDraftShare(1), wide.greedyDraftShare(2), wide.greedyDraftShare(3), wide.greedyDraftShare(8),
            wide.greedyDraftShare(9)}).containsExactly(64, 16, 7, 1, 0);
        assertThat(new BatchSettings(16, 64, 1 << 20, 0).greedyDraftShare(1)).isZero();
        assertThat(new BatchSettings(16, 64, 1 << 20, Integer.MAX_VALUE).greedyDraftShare(65536)).isZero();
        assertThatThrownBy(() -> wide.greedyDraftShare(-1)).hasMessageContaining("negative");
        assertThatThrownBy(() -> new BatchSettings(16, 64, 1 << 20, -1)).hasMessageContaining("must not be negative");
    }
}
