package dev.specdiff4j.engine.kernels;

import dev.specdiff4j.engine.model.CausalLanguageModel;
import dev.specdiff4j.engine.model.Gpt2;
import dev.specdiff4j.engine.model.LoadOptions;
import dev.specdiff4j.engine.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ProfilingKernelsTest {
    private static final int[] TOKENS = {5, 17, 250, 3, 99};

    @Test
    void aProfiledPassGivesTheWrappedKernelsBitsAndTimesEveryCall() throws IOException {
        float[][] expected;
        try (VectorKernels plain = new VectorKernels(2); Gpt2 model = Gpt2.load(Fixtures.folder("gpt2-tiny"), new LoadOptions(null, plain));
             CausalLanguageModel.Session s = model.newSession()) {
            expected = s.forward(TOKENS);
        }
        try (ProfilingKernels profiled = new ProfilingKernels(new VectorKernels(2));
             Gpt2 model = Gpt2.load(Fixtures.folder("gpt2-tiny"), new LoadOptions(null, profiled));
             CausalLanguageModel.Session s = model.newSession()) {
            profiled.reset();
            float[][] actual = s.forward(TOKENS);
            assertThat(actual).isDeepEqualTo(expected);

            // gpt2-tiny: 2 layers of 64 wide, vocabulary 300; per layer q|k|v, projection, fc and fc projection, then the head
            List<ProfilingKernels.Entry> entries = profiled.entries();
            assertThat(entries.stream().filter(e -> e.operation().startsWith("matmul")).mapToLong(ProfilingKernels.Entry::calls).sum()).isEqualTo(9);
            assertThat(entries).allSatisfy(e -> assertThat(e.operation()).satisfiesAnyOf(
                    op -> assertThat(op).endsWith(", 5 rows"), op -> assertThat(op).isIn("gelu", "softmax")));
            ProfilingKernels.Entry head = entries.stream().filter(e -> e.operation().startsWith("matmul 300x64 ")).findFirst().orElseThrow();
            assertThat(head.calls()).isEqualTo(1);
            assertThat(head.flops()).isEqualTo(2L * 5 * 300 * 64);
            assertThat(head.weightBytes()).isEqualTo(300L * 64 * 4); // the fixture's F32 embedding, read as the head
            ProfilingKernels.Entry qkv = entries.stream().filter(e -> e.operation().startsWith("matmul 192x64 ")).findFirst().orElseThrow();
            assertThat(qkv.calls()).isEqualTo(2);
            assertThat(entries.stream().filter(e -> e.operation().startsWith("attention")).mapToLong(ProfilingKernels.Entry::calls).sum()).isEqualTo(2);
            assertThat(entries.stream().filter(e -> e.operation().startsWith("layerNorm")).mapToLong(ProfilingKernels.Entry::calls).sum()).isEqualTo(5);
            assertThat(entries).allSatisfy(e -> assertThat(e.nanos()).isPositive());
        }
    }

    @Test
    void resetForgetsWhatWasTimedBefore() {
        try (ProfilingKernels profiled = new ProfilingKernels(new ReferenceKernels())) {
            float[] x = {1, 2, 3, 4};
            profiled.geluTanh(x, 4);
            profiled.geluTanh(x, 4);
            assertThat(profiled.entries()).singleElement().satisfies(e -> {
                assertThat(e.operation()).isEqualTo("gelu");
                assertThat(e.calls()).isEqualTo(2);
                assertThat(e.gigabytesPerSecond()).isZero();
            });
            profiled.reset();
            assertThat(profiled.entries()).isEmpty();
        }
    }

    @Test
    void needsKernelsToWrap() {
        assertThatThrownBy(() -> new ProfilingKernels(null)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no kernels");
    }
}
