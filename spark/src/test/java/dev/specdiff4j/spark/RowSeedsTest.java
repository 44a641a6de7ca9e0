package dev.specdiff4j.spark;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class RowSeedsTest {
    @Test
    void seedsDependOnTheJobSeedAndTheKeyOnly() {
        assertThat(RowSeeds.derive(1, "The jury said")).isEqualTo(RowSeeds.derive(1, "The jury said"));
        Set<Long> seeds = new HashSet<>();
        for (long seed = 0; seed < 50; seed++) {
            for (String key : new String[] {"", "a", "b", "ab", "ba", "The jury said", "The jury said "}) seeds.add(RowSeeds.derive(seed, key));
        }
        assertThat(seeds).as("distinct seeds for distinct (seed, key)").hasSize(50 * 7);
    }

    @Test
    void aKnownValueStaysTheSame() {
        // computed by an independent Python transcription of FNV-1a 64 and SplitMix64's finalizer; a change of the
        // derivation would change every sampled job's output
        assertThat(RowSeeds.derive(42, "abc")).isEqualTo(3456592870988133162L);
    }
}
