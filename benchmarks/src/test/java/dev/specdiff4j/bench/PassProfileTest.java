package dev.specdiff4j.bench;

import dev.specdiff4j.engine.kernels.ProfilingKernels;
import dev.specdiff4j.engine.kernels.VectorKernels;
import dev.specdiff4j.engine.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PassProfileTest {
    @Test
    void profilesEachPassSizeWithEveryKernelCallOfItsPasses() throws Exception {
        List<String> stages = new ArrayList<>();
        try (VectorKernels kernels = new VectorKernels(2)) {
            PassProfile.Result r = PassProfile.run(Fixtures.folder("gpt2-tiny"), null, kernels, 20, new int[] {1, 4}, 2, 3, stages::add);
            assertThat(r.context()).isEqualTo(20);
            assertThat(r.passes()).extracting(PassProfile.Pass::rows).containsExactly(1, 4);
            for (PassProfile.Pass p : r.passes()) {
                // gpt2-tiny has 2 layers: 4 matmuls each and the head, in each of the 3 timed passes
                long matmuls = p.kernels().stream().filter(e -> e.operation().startsWith("matmul")).mapToLong(e -> e.calls()).sum();
                assertThat(matmuls).as("%d-row passes", p.rows()).isEqualTo(9 * 3);
                assertThat(p.kernels()).allSatisfy(e -> assertThat(e.operation()).doesNotContain(p.rows() == 1 ? "4 rows" : "1 row"));
                assertThat(p.medianMillis()).isPositive();
                assertThat(p.meanMillis()).isGreaterThanOrEqualTo(p.kernelMillis());
                assertThat(p.kernelMillis()).isPositive().isLessThanOrEqualTo(p.kernels().stream().mapToLong(e -> e.nanos()).sum() / 1e6);
                assertThat(p.matmulGigabytesPerSecond()).isPositive();
            }
            assertThat(stages).containsExactly("warming up the 1-row pass", "warming up the 4-row pass", "timing 3 rounds of every pass size");
            String md = PassProfile.markdown(r);
            assertThat(md).contains("passes after a cached context of 20 tokens", "| 4 | ", "4-row pass, ", "matmul 192x64 ");
            assertThat(md).doesNotContain("multiply-add peak");
            // with a peak of 1 GFLOP/s, each matmul's share of it is its GFLOP/s in per cent
            ProfilingKernels.Entry matmul = r.passes().get(1).kernels().stream().filter(e -> e.operation().startsWith("matmul")).findFirst().orElseThrow();
            String withPeak = PassProfile.markdown(r.withPeak(new FmaPeak.Result(2, 512, 1.0)));
            assertThat(withPeak).contains("multiply-add peak, measured in this JVM before the passes: 1 GFLOP/s on 2 threads",
                    String.format(java.util.Locale.ROOT, "| %.1f | %.0f %% |", matmul.gigaflopsPerSecond(), 100 * matmul.gigaflopsPerSecond()));
        }
    }

    @Test
    void refusesPassesThatDoNotFitTheContext() throws Exception {
        try (VectorKernels kernels = new VectorKernels(1)) {
            // gpt2-tiny has 64 positions
            assertThatThrownBy(() -> PassProfile.run(Fixtures.folder("gpt2-tiny"), null, kernels, 60, new int[] {8}, 0, 1, s -> { }))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("exceed the model's 64 positions");
            assertThatThrownBy(() -> PassProfile.run(Fixtures.folder("gpt2-tiny"), null, kernels, 8, new int[] {0}, 0, 1, s -> { }))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 1 row");
            assertThatThrownBy(() -> PassProfile.run(Fixtures.folder("gpt2-tiny"), null, kernels, 8, new int[] {2}, 0, 0, s -> { }))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("passes must be at least 1");
        }
    }
}
