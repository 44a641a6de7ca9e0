package dev.specdiff4j.bench.jmh;

import dev.specdiff4j.engine.kernels.VectorKernels;
import dev.specdiff4j.engine.model.LoadOptions;
import dev.specdiff4j.engine.model.MaskedDiffusionLm;
import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.weights.RandomCheckpoints;
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

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * One MDLM denoising step for a block of 16 after a 256-token prefix: exact (the whole 272-position
 * sequence through the model) against cached-prefix (only the 16 block positions, attending to cached
 * keys and values of the prefix). At the MDLM-OWT shape (12 blocks × 768, vocabulary 50258) and at the
 * demo drafter's shape (2 blocks × 192, vocabulary 8193), random weights.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:+UseParallelGC", "-Xmx6g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class DenoiseStepBenchmark {
    static final int PREFIX = 256;
    static final int BLOCK = 16;

    @Param({"mdlm-owt", "demo-drafter"})
    public String shape;

    @Param({"exact", "cached"})
    public String mode;

    @Param({"2"})
    public int threads;

    private VectorKernels kernels;
    private MaskedDiffusionLm model;
    private MaskedDiffusionLm.BlockCache cache;
    private int[] ids;
    private int[] block;

    @Setup(Level.Trial)
    public void setup() throws IOException {
        RandomCheckpoints.MdlmShape s = shape.equals("mdlm-owt") ? RandomCheckpoints.MdlmShape.OWT
                : new RandomCheckpoints.MdlmShape("demo-drafter", 8193, 192, 2, 3, 64, 512);
        Path folder = Path.of(System.getProperty("java.io.tmpdir"), "specdiff4j-bench-" + s.name());
        if (!Files.exists(folder.resolve("model.safetensors"))) RandomCheckpoints.mdlm(folder, s, DType.F32, 7);
        kernels = new VectorKernels(threads);
        model = MaskedDiffusionLm.load(folder, new LoadOptions(null, kernels));
        ids = new int[PREFIX + BLOCK];
        for (int i = 0; i < PREFIX; i++) ids[i] = (i * 7919) % (s.vocab() - 1);
        Arrays.fill(ids, PREFIX, ids.length, model.maskId());
        block = Arrays.copyOfRange(ids, PREFIX, ids.length);
        cache = model.new BlockCache(ids.length);
        cache.full(ids, PREFIX, BLOCK);
    }

    @Benchmark
    public float[][] step() {
        return mode.equals("exact") ? cache.full(ids, PREFIX, BLOCK) : cache.refresh(PREFIX, block);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        model.close();
        kernels.close();
    }
}
