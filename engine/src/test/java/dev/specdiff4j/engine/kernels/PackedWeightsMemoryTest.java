package dev.specdiff4j.engine.kernels;

import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.engine.tensor.Halfs;
import dev.specdiff4j.engine.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * When the JVM has no native memory left for a packed copy (-XX:MaxDirectMemorySize, by default the heap's maximum), matmul
 * reads the matrix where it lies and gives the same bits, instead of failing. Runs in a JVM of its own with 1 MB of direct
 * memory and an 8 MB weight matrix on the heap.
 */
class PackedWeightsMemoryTest {
    @Test
    void aMatrixWithoutRoomForItsCopyIsReadWhereItLies() throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(List.of(java, "--add-modules", "jdk.incubator.vector", "-XX:MaxDirectMemorySize=1m",
                "-cp", System.getProperty("java.class.path"), Child.class.getName())).redirectErrorStream(true).start();
        boolean ended = p.waitFor(120, TimeUnit.SECONDS);
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!ended) p.destroyForcibly();
        assertThat(ended).as(output).isTrue();
        assertThat(p.exitValue()).as(output).isZero();
        assertThat(output).contains("same bits: true");
    }

    /** Multiplies a 2048×2048 F16 matrix held on the heap, packed (no room: read where it lies) and plain. */
    public static final class Child {
        public static void main(String[] args) {
            int n = 2048;
            short[] halfs = new short[n * n];
            for (int i = 0; i < halfs.length; i++) halfs[i] = Halfs.floatToF16((float) Math.sin(i) * 0.1f);
            Tensor w = new Tensor("w", DType.F16, new long[] {n, n}, MemorySegment.ofArray(halfs));
            float[] x = new float[4 * n];
            for (int i = 0; i < x.length; i++) x[i] = (float) Math.cos(i);
            float[] packed = new float[4 * n];
            float[] plain = new float[4 * n];
            try (VectorKernels withPacking = new VectorKernels(2, true); VectorKernels without = new VectorKernels(2, false)) {
                withPacking.matmul(x, 4, w, null, packed);
                without.matmul(x, 4, w, null, plain);
            }
            System.out.println("same bits: " + java.util.Arrays.equals(packed, plain));
            System.out.println("checksum " + MemorySegment.ofArray(packed).get(ValueLayout.JAVA_FLOAT, 0));
        }
    }
}
