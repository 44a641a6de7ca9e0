package dev.specdiff4j.bench;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FmaPeakTest {
    @Test
    void countsTwoOperationsPerLanePerMultiplyAdd() {
        int lanes = FloatVector.SPECIES_PREFERRED.length();
        // 3 threads × 1000 iterations × 16 chains × lanes multiply-adds in 1 µs
        assertThat(FmaPeak.gigaflops(3, 1000, 1000)).isEqualTo(2.0 * 16 * lanes * 1000 * 3 / 1000);
    }

    @Test
    void measuresOnTheWidestVectorsAndSaysHow() throws InterruptedException {
        FmaPeak.Result r = FmaPeak.measure(1);
        assertThat(r.vectorBits()).isEqualTo(FloatVector.SPECIES_PREFERRED.vectorBitSize());
        assertThat(r.gigaflops()).isPositive().isFinite();
        assertThat(r.describe()).contains("on 1 thread (16 independent chains of " + r.vectorBits() + "-bit multiply-adds");
        assertThatThrownBy(() -> FmaPeak.measure(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
