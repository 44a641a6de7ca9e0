package dev.specdiff4j.engine.api;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class GenerationConfigTest {

    @Test
    void theDefaultGammaIsFourWithABlockDrafterCappedByItsBlockAndThreeOtherwise() {
        assertThat(GenerationConfig.defaultGamma(Mode.SPECDIFF, true, 15)).isEqualTo(4);
        assertThat(GenerationConfig.defaultGamma(Mode.SPECDIFF, true, 2)).isEqualTo(2); // block of 3: at most 2 drafted
        assertThat(GenerationConfig.defaultGamma(Mode.SPECDIFF, true, 0)).isEqualTo(1); // never below one
        assertThat(GenerationConfig.defaultGamma(Mode.SPECDIFF, false, 0)).isEqualTo(3); // the MDLM drafter
        assertThat(GenerationConfig.defaultGamma(Mode.SD, true, 15)).isEqualTo(3); // sd drafts with the AR drafter
    }
}
