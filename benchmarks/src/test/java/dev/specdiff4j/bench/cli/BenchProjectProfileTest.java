package dev.specdiff4j.bench.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** `bench project` takes its acceptance rates from a sweep.json, and honours --gamma/--steps against it. */
class BenchProjectProfileTest {

    private static Path sweep(Path dir) throws Exception {
        Path f = dir.resolve("sweep.json");
        Files.writeString(f, """
                {"results": [
                  {"configuration": "ar", "alpha": 0},
                  {"configuration": "specdiff γ=2 T=1 cached", "alpha": 0.375, "tokens_per_round": 1.75},
                  {"configuration": "specdiff γ=2 T=2 cached", "alpha": 0.48, "tokens_per_round": 1.96},
                  {"configuration": "specdiff γ=4 T=1 cached", "alpha": 0.234375, "tokens_per_round": 1.9375},
                  {"configuration": "specdiff γ=4 T=1 exact", "alpha": 0.99, "tokens_per_round": 4.9},
                  {"configuration": "sd γ=2", "alpha": 0.72}
                ]}
                """);
        return f;
    }

    /** Per-position α by hand: 1 + α + α² = 1.75 at α = 0.5; 1 + 0.6 + 0.36 = 1.96; 1 + 0.5 + … + 0.5⁴ = 1.9375. */
    private static final double A21 = 0.5;
    private static final double A22 = 0.6;
    private static final double A41 = 0.5;

    @Test
    void theProfileHoldsThePerPositionAcceptanceOfTheCachedSpecdiffRowsOnly(@TempDir Path dir) throws Exception {
        Map<String, Double> profile = BenchProject.profile(sweep(dir));
        assertThat(profile).containsOnlyKeys("2/1", "2/2", "4/1");
        assertThat(profile.get("2/1")).isCloseTo(A21, within(1e-9));
        assertThat(profile.get("2/2")).isCloseTo(A22, within(1e-9));
        assertThat(profile.get("4/1")).isCloseTo(A41, within(1e-9));
    }

    @Test
    void theDemoCheckFeedsEachRowsOwnMeasurementsToTheFormula(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("sweep.json");
        // α = 0.5 at γ = 2: 1.75 tokens per round; AR 100 tok/s = 10 ms a step; 5 ms drafting + 12.5 ms verifying a round:
        // predicted 1.75 · 10 / 17.5 = 1.00×, measured 0.8× → +25 %, flagged
        Files.writeString(f, """
                {"results": [{"configuration": "specdiff γ=2 T=1 cached", "tokens_per_round": 1.75, "ar_tokens_per_second": [90, 100, 130],
                  "draft_ms_per_round": 5.0, "verify_ms_per_round": 12.5, "speedup": 0.8}]}
                """);
        String check = BenchProject.demoCheck(f);
        assertThat(check).contains("| specdiff γ=2 T=1 cached | 0.500 | 1.00× | 0.80× | +25 % (over 15 %) |");
    }

    @Test
    void aSweepWithoutTokensPerRoundIsAClearError(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("sweep.json");
        Files.writeString(f, "{\"results\": [{\"configuration\": \"specdiff γ=2 T=1 cached\", \"alpha\": 0.3}]}");
        assertThatThrownBy(() -> BenchProject.profile(f)).hasMessageContaining("no tokens_per_round");
    }

    @Test
    void askedForCombinationsAreSelectedAndMissingOnesAreAnError(@TempDir Path dir) throws Exception {
        Path f = sweep(dir);
        Map<String, Double> profile = BenchProject.profile(f);
        assertThat(BenchProject.select(profile, null, null, f)).isEqualTo(profile);
        assertThat(BenchProject.select(profile, List.of(2), null, f).keySet()).containsExactly("2/1", "2/2");
        assertThat(BenchProject.select(profile, List.of(4, 2), List.of(1), f).keySet()).containsExactly("4/1", "2/1");
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
