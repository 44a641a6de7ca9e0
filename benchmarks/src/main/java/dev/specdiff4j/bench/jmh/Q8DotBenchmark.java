package dev.specdiff4j.bench.jmh;

import dev.specdiff4j.engine.kernels.VectorKernels;
import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.engine.tensor.Halfs;
import dev.specdiff4j.engine.tensor.Q8;
import dev.specdiff4j.engine.tensor.Tensor;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
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
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The Q8_0 matmul two ways, one thread, one token: {@code float} is the engine's kernel (each 32-value block's bytes widened
 * to floats in registers, times the block scale, FMA with the F32 activations); {@code int8} is the native engines' way
 * (the activations quantized once to Q8_0 blocks, per block 32 int8×int8 products widened to 16 and summed to 32 bits,
 * then one float multiply-add by the two scales), written with the Vector API (B2S, lanewise MUL, S2I, ADD, I2F). Run with
 * {@code bin/specdiff4j bench kernels Q8Dot}; the engine keeps whichever is faster (docs/notes/16-quant-kernels.md).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:+UseParallelGC", "-Xmx2g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class Q8DotBenchmark {
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_256;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_512;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    @Param({"float", "int8"})
    public String kernel;

    @Param({"3072x768", "768x3072"})
    public String shape;

    private Arena arena;
    private VectorKernels kernels;
    private Tensor w;
    private float[] x;
    private float[] out;
    private MemorySegment xq;
    private int rows;
    private int cols;

    @Setup(Level.Trial)
    public void setup() {
        String[] s = shape.split("x");
        rows = Integer.parseInt(s[0]);
        cols = Integer.parseInt(s[1]);
        arena = Arena.ofShared();
        SplittableRandom r = new SplittableRandom(1);
        float[] values = new float[rows * cols];
        for (int i = 0; i < values.length; i++) values[i] = (float) (r.nextDouble() - 0.5) * 0.04f;
        w = Tensor.of("w", DType.Q8_0, new long[] {rows, cols}, values, arena);
        x = new float[cols];
        for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextDouble() - 0.5);
        out = new float[rows];
        xq = arena.allocate(DType.Q8_0.bytesFor(cols), 64);
        kernels = new VectorKernels(1);
        // both kernels must compute the same product (up to the activations' 8-bit rounding) for the timing to mean anything
        float[] exact = new float[rows];
        kernels.matmul(x, 1, w, null, exact);
        int8(w.data(), x, xq, rows, cols, out);
        for (int i = 0; i < rows; i++) {
            if (Math.abs(out[i] - exact[i]) > 0.02 * (Math.abs(exact[i]) + 0.1)) {
                throw new IllegalStateException("int8 row " + i + ": " + out[i] + " vs " + exact[i]);
            }
        }
    }

    @Benchmark
    public float[] matmul() {
        if (kernel.equals("float")) kernels.matmul(x, 1, w, null, out);
        else int8(w.data(), x, xq, rows, cols, out);
        return out;
    }

    /** Activations to Q8_0 once, then per 4 rows and block: integer dot products, one scale multiply-add each. */
    static void int8(MemorySegment wq, float[] x, MemorySegment xq, int rows, int cols, float[] out) {
        Q8.quantize(x, 0, cols, xq, 0);
        int blocks = cols / Q8.BLOCK;
        long rowBytes = (long) blocks * Q8.BLOCK_BYTES;
        for (int r = 0; r < rows; r += 4) {
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            long o0 = r * rowBytes;
            for (int b = 0; b < blocks; b++) {
                long xb = (long) b * Q8.BLOCK_BYTES;
                float dx = Halfs.f16ToFloat(xq.get(ValueLayout.JAVA_SHORT_UNALIGNED, xb));
                ShortVector xs = (ShortVector) ByteVector.fromMemorySegment(B, xq, xb + 2, LE).convertShape(VectorOperators.B2S, S, 0);
                long wb = o0 + xb;
                a0 = block(wq, wb, xs, dx, a0);
                a1 = block(wq, wb + rowBytes, xs, dx, a1);
                a2 = block(wq, wb + 2 * rowBytes, xs, dx, a2);
                a3 = block(wq, wb + 3 * rowBytes, xs, dx, a3);
            }
            out[r] = a0.reduceLanes(VectorOperators.ADD);
            out[r + 1] = a1.reduceLanes(VectorOperators.ADD);
            out[r + 2] = a2.reduceLanes(VectorOperators.ADD);
            out[r + 3] = a3.reduceLanes(VectorOperators.ADD);
        }
    }

    private static FloatVector block(MemorySegment wq, long at, ShortVector xs, float dx, FloatVector acc) {
        float d = Halfs.f16ToFloat(wq.get(ValueLayout.JAVA_SHORT_UNALIGNED, at)) * dx;
        ShortVector p = ((ShortVector) ByteVector.fromMemorySegment(B, wq, at + 2, LE).convertShape(VectorOperators.B2S, S, 0)).mul(xs);
        IntVector sum = ((IntVector) p.convertShape(VectorOperators.S2I, I, 0)).add((IntVector) p.convertShape(VectorOperators.S2I, I, 1));
        return ((FloatVector) sum.convertShape(VectorOperators.I2F, F, 0)).fma(FloatVector.broadcast(F, d), acc);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        kernels.close();
        arena.close();
    }
}
