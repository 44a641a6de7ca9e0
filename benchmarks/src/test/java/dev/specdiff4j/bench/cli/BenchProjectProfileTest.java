package dev.specdiff4j.bench.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** `bench project` takes its acceptance rates from a sweep.json, and honours --gamma/--steps against it. */
class BenchProjectProfileTest {

    private static Path sweep(Path dir) throws Exception {
        Path f = dir.resolve("sweep.json");
        Files.writeString(f, """
                {"results": [
                  {"configuration": "ar", "alpha": 0},
                  {"configuration": "specdiff γ=2 T=1 cached", "alpha": 0.45},
                  {"configuration": "specdiff γ=2 T=2 cached", "alpha": 0.44},
                  {"configuration": "specdiff γ=4 T=1 cached", "alpha": 0.27},
                  {"configuration": "specdiff γ=4 T=1 exact", "alpha": 0.99},
                  {"configuration": "sd γ=2", "alpha": 0.72}
                ]}
                """);
        return f;
    }

    @Test
    void theProfileHoldsTheCachedSpecdiffRowsOnly(@TempDir Path dir) throws Exception {
        Map<String, Double> profile = BenchProject.profile(sweep(dir));
        assertThat(profile).containsExactly(Map.entry("2/1", 0.45), Map.entry("2/2", 0.44), Map.entry("4/1", 0.27));
    }

    @Test
    void askedForCombinationsAreSelectedAndMissingOnesAreAnError(@TempDir Path dir) throws Exception {
        Path f = sweep(dir);
        Map<String, Double> profile = BenchProject.profile(f);
        assertThat(BenchProject.select(profile, null, null, f)).isEqualTo(profile);
        assertThat(BenchProject.select(profile, List.of(2), null, f)).containsExactly(Map.entry("2/1", 0.45), Map.entry("2/2", 0.44));
        assertThat(BenchProject.select(profile, List.of(4, 2), List.of(1), f)).containsExactly(Map.entry("4/1", 0.27), Map.entry("2/1", 0.45));
        assertThatThrownBy(() -> BenchProject.select(profile, List.of(4), List.of(2), f))
                .hasMessageContaining("no acceptance rate for γ=4 T=2").hasMessageContaining("2/1, 2/2, 4/1");
        assertThatThrownBy(() -> BenchProject.select(profile, List.of(8), null, f)).hasMessageContaining("γ=8 T=1");
    }

    @Test
    void aSweepWithoutSpecdiffRowsIsAClearError(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("sweep.json");
        Files.writeString(f, "{\"results\": [{\"configuration\": \"ar\", \"alpha\": 0}]}");
        assertThatThrownBy(() -> BenchProject.profile(f)).hasMessageContaining("no cached specdiff rows");
        assertThatThrownBy(() -> BenchProject.profile(dir.resolve("missing.json"))).hasMessageContaining("is missing");
    }
}
