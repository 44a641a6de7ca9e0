package dev.specdiff4j.bench.jmh;

import dev.specdiff4j.engine.kernels.VectorKernels;
import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.engine.tensor.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The batched matmul, k activation rows against one weight matrix, per dtype. k = 1 is a decode step,
 * k = γ+1 a verification pass. Shapes: GPT-2 small's MLP up-projection (3072×768, 9.4 MB in F32, beyond
 * L2) and its LM head (50257×768, 154 MB in F32). GB/s and GFLOP/s are derived from the time by
 * {@link KernelBenchmarks}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:+UseParallelGC", "-Xmx4g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class MatmulBenchmark {
    @Param({"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_K", "Q6_K"})
    public String dtype;

    @Param({"1", "4", "8", "16", "32"})
    public int k;

    @Param({"3072x768", "50257x768"})
    public String shape;

    @Param({"2"})
    public int threads;

    private Arena arena;
    private VectorKernels kernels;
    private Tensor w;
    private float[] x;
    private float[] out;

    @Setup(Level.Trial)
    public void setup() {
        String[] s = shape.split("x");
        int rows = Integer.parseInt(s[0]);
        int cols = Integer.parseInt(s[1]);
        arena = Arena.ofShared();
        SplittableRandom r = new SplittableRandom(1);
        float[] values = new float[rows * cols];
        for (int i = 0; i < values.length; i++) values[i] = (float) (r.nextDouble() - 0.5) * 0.04f;
        w = Tensor.of("w", DType.parse(dtype), new long[] {rows, cols}, values, arena);
        x = new float[k * cols];
        for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextDouble() - 0.5);
        out = new float[k * rows];
        kernels = new VectorKernels(threads);
    }

    @Benchmark
    public float[] matmul() {
        kernels.matmul(x, k, w, null, out);
        return out;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        kernels.close();
        arena.close();
    }
}
