package dev.specdiff4j.engine.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Deterministic vector arithmetic. The Vector API's {@code reduceLanes(ADD)} and {@code lanewise(EXP)}
 * may give different bits in interpreted and compiled code (different summation orders; an intrinsic
 * vs a Java fallback), which would let a batched pass and a single-token pass disagree in the last bit.
 * Everything here uses only lane-wise add/mul/fma and data movement, which IEEE 754 fixes exactly, so
 * results are bit-for-bit the same in every JIT tier and for every batch size. Each vector routine has
 * a scalar twin that performs the same operations for tail elements.
 */
final class VectorMath {
    /**
     * Why the vector width asked for with {@code -Dspecdiff4j.vectorBits} cannot be used (null when it can, or when none
     * was asked for); the kernels refuse to start with this message.
     */
    static final String WIDTH_ERROR;
    /**
     * The float species of every kernel: the widest this CPU has (512-bit on AVX-512; on this project's AVX-512 machine it
     * measured faster than 256-bit for every dtype, see docs/notes/16-float-kernels.md), or the width asked for with
     * {@code -Dspecdiff4j.vectorBits=256|512}.
     */
    static final VectorSpecies<Float> F;

    static {
        String asked = System.getProperty("specdiff4j.vectorBits");
        VectorSpecies<Float> species = FloatVector.SPECIES_PREFERRED;
        String error = null;
        if (asked != null) {
            int bits = switch (asked.trim()) {
                case "256" -> 256;
                case "512" -> 512;
                default -> -1;
            };
            if (bits < 0) {
                error = "specdiff4j.vectorBits must be 256 or 512, got '" + asked + "'";
            } else if (bits > FloatVector.SPECIES_PREFERRED.vectorBitSize()) {
                error = "specdiff4j.vectorBits=" + bits + " is wider than this CPU's vectors (" + FloatVector.SPECIES_PREFERRED.vectorBitSize() + " bits)";
            } else {
                species = FloatVector.SPECIES_MAX.withShape(jdk.incubator.vector.VectorShape.forBitSize(bits));
            }
        }
        F = species;
        WIDTH_ERROR = error;
    }

    static final int L = F.length();
    static final VectorShuffle<Float> FOLD_8 = fold(8);
    static final VectorShuffle<Float> FOLD_4 = fold(4);
    static final VectorShuffle<Float> FOLD_2 = fold(2);
    static final VectorShuffle<Float> FOLD_1 = fold(1);

    private static VectorShuffle<Float> fold(int half) {
        return VectorShuffle.fromOp(F, i -> (i + half) % L);
    }

    private VectorMath() {
    }

    /**
     * Sum of the lanes by pairwise folding (lane i + lane i+L/2, then +L/4, ...): a fixed order. Written
     * out step by step with constant shuffles (a loop over shuffles would keep the JIT from keeping the
     * vector in a register).
     */
    static float sum(FloatVector v) {
        if (L >= 16) v = v.add(v.rearrange(FOLD_8));
        if (L >= 8) v = v.add(v.rearrange(FOLD_4));
        if (L >= 4) v = v.add(v.rearrange(FOLD_2));
        v = v.add(v.rearrange(FOLD_1));
        return v.lane(0);
    }

    /** Largest lane. */
    static float max(FloatVector v) {
        if (L >= 16) v = v.max(v.rearrange(FOLD_8));
        if (L >= 8) v = v.max(v.rearrange(FOLD_4));
        if (L >= 4) v = v.max(v.rearrange(FOLD_2));
        v = v.max(v.rearrange(FOLD_1));
        return v.lane(0);
    }

    static {
        if (L > 16 || L < 2) throw new ExceptionInInitializerError("unsupported vector length " + L);
    }

    private static final float EXP_HI = 88.0f;
    private static final float EXP_LO = -87.3f;
    private static final float LOG2E = 1.44269504088896341f;
    private static final float MAGIC = 12582912f; // 1.5 * 2^23: adding it rounds to an integer
    private static final int MAGIC_BITS = Float.floatToRawIntBits(MAGIC);
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    private static final float P0 = 1.9875691500E-4f;
    private static final float P1 = 1.3981999507E-3f;
    private static final float P2 = 8.3334519073E-3f;
    private static final float P3 = 4.1665795894E-2f;
    private static final float P4 = 1.6666665459E-1f;
    private static final float P5 = 5.0000001201E-1f;

    /**
     * e^x to about 1 ulp (Cephes' expf polynomial after reducing x = n·ln2 + r), inputs clamped to
     * [-87.3, 88], so the result is always a finite normal number.
     */
    static FloatVector exp(FloatVector x) {
        x = x.max(EXP_LO).min(EXP_HI);
        FloatVector t = x.mul(LOG2E).add(MAGIC);
        FloatVector n = t.sub(MAGIC);
        IntVector ni = t.reinterpretAsInts().sub(MAGIC_BITS);
        FloatVector r = n.fma(FloatVector.broadcast(F, -LN2_HI), x);
        r = n.fma(FloatVector.broadcast(F, -LN2_LO), r);
        FloatVector p = r.fma(P0, P1);
        p = p.fma(r, FloatVector.broadcast(F, P2));
        p = p.fma(r, FloatVector.broadcast(F, P3));
        p = p.fma(r, FloatVector.broadcast(F, P4));
        p = p.fma(r, FloatVector.broadcast(F, P5));
        FloatVector y = p.fma(r.mul(r), r).add(1f);
        FloatVector scale = ni.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return y.mul(scale);
    }

    /** The scalar twin of {@link #exp(FloatVector)}: the same operations in the same order. */
    static float exp(float x) {
        x = Math.min(Math.max(x, EXP_LO), EXP_HI);
        float t = x * LOG2E + MAGIC;
        float n = t - MAGIC;
        int ni = Float.floatToRawIntBits(t) - MAGIC_BITS;
        float r = Math.fma(n, -LN2_HI, x);
        r = Math.fma(n, -LN2_LO, r);
        float p = Math.fma(r, P0, P1);
        p = Math.fma(p, r, P2);
        p = Math.fma(p, r, P3);
        p = Math.fma(p, r, P4);
        p = Math.fma(p, r, P5);
        float y = Math.fma(p, r * r, r) + 1f;
        return y * Float.intBitsToFloat((ni + 127) << 23);
    }

    private static final float GELU_K = 0.7978845608028654f; // sqrt(2/pi)
    private static final float GELU_C = 0.044715f;

    /** GELU (tanh form) written as x·sigmoid(2u) = x / (1 + e^(−2u)), u = √(2/π)(x + 0.044715x³). */
    static FloatVector gelu(FloatVector x) {
        FloatVector u = x.mul(x).mul(x).fma(FloatVector.broadcast(F, GELU_C), x).mul(GELU_K);
        return x.div(exp(u.mul(-2f)).add(1f));
    }

    static float gelu(float x) {
        float u = Math.fma(x * x * x, GELU_C, x) * GELU_K;
        return x / (exp(u * -2f) + 1f);
    }
}
