package dev.specdiff4j.bench;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Locale;
import java.util.concurrent.CyclicBarrier;

/**
 * The cores' floating-point peak as this JVM reaches it: every thread runs 16 independent chains of fused multiply-adds
 * on the widest float vectors, with no memory traffic, and the peak is the multiply-adds all threads did (2 operations
 * each) over the slowest thread's time. A nominal figure (cores × clock × FMAs per cycle) misses the clock the cores
 * actually run at: on this project's 2-core EPYC VM the probe measured about 115 GFLOP/s per core, 1.4 times what 2.6 GHz
 * and one 512-bit FMA per cycle give.
 */
public final class FmaPeak {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Multiply-adds per loop iteration: 16 chains of one vector FMA each. */
    static final int CHAINS = 16;

    /** The measured peak and how it was measured. */
    public record Result(int threads, int vectorBits, double gigaflops) {
        public String describe() {
            return String.format(Locale.ROOT, "%.0f GFLOP/s on %d thread%s (16 independent chains of %d-bit multiply-adds per thread, a "
                    + "multiply-add counting 2 operations, no memory traffic)", gigaflops, threads, threads == 1 ? "" : "s", vectorBits);
        }
    }

    private FmaPeak() {
    }

    /** GFLOP/s of {@code iterations} loop iterations per thread on {@code threads} threads that took {@code nanos} at most. */
    static double gigaflops(int threads, long iterations, long nanos) {
        return 2.0 * CHAINS * F.length() * iterations * threads / nanos;
    }

    /** Measures the peak on {@code threads} threads at once (about a quarter of a second after a warm-up that compiles the loop). */
    public static Result measure(int threads) throws InterruptedException {
        if (threads < 1) throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        float[] seed = new float[5 * F.length()];
        for (int i = 0; i < seed.length; i++) seed[i] = 1e-7f * (i + 1);
        for (int i = 0; i < 20; i++) chains(seed, 200_000);
        int iterations = 20_000_000 / Math.max(1, F.length() / 4);
        long[] nanos = new long[threads];
        CyclicBarrier start = new CyclicBarrier(threads);
        Thread[] workers = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            int id = t;
            workers[t] = Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                long begin = System.nanoTime();
                sink = chains(seed, iterations);
                nanos[id] = System.nanoTime() - begin;
            });
        }
        for (Thread w : workers) w.join();
        long slowest = 0;
        for (long n : nanos) slowest = Math.max(slowest, n);
        return new Result(threads, F.vectorBitSize(), gigaflops(threads, iterations, slowest));
    }

    /** Keeps the chains' result alive, so the JIT cannot drop the loop. */
    static volatile float sink;

    private static float chains(float[] seed, int iterations) {
        int l = F.length();
        FloatVector v0 = FloatVector.fromArray(F, seed, 0), v1 = FloatVector.fromArray(F, seed, l), v2 = FloatVector.fromArray(F, seed, 2 * l);
        FloatVector v3 = FloatVector.fromArray(F, seed, 3 * l), w = FloatVector.fromArray(F, seed, 4 * l);
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        FloatVector a8 = a0, a9 = a0, a10 = a0, a11 = a0, a12 = a0, a13 = a0, a14 = a0, a15 = a0;
        for (int i = 0; i < iterations; i++) {
            a0 = w.fma(v0, a0);
            a1 = w.fma(v1, a1);
            a2 = w.fma(v2, a2);
            a3 = w.fma(v3, a3);
            a4 = v0.fma(v1, a4);
            a5 = v1.fma(v2, a5);
            a6 = v2.fma(v3, a6);
            a7 = v3.fma(w, a7);
            a8 = v0.fma(v2, a8);
            a9 = v1.fma(v3, a9);
            a10 = v2.fma(w, a10);
            a11 = v3.fma(v0, a11);
            a12 = v0.fma(v3, a12);
            a13 = v1.fma(w, a13);
            a14 = v2.fma(v0, a14);
            a15 = v3.fma(v1, a15);
        }
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11).add(a12).add(a13).add(a14)
                .add(a15).reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
    }
}
