package dev.specdiff4j.engine.tensor;

import java.lang.foreign.MemorySegment;

/**
 * Quantizing and dequantizing the block formats other than Q8_0 ({@link LegacyQuants}, {@link KQuants}) over
 * arbitrary element ranges: quantization takes whole blocks; dequantization decodes each block the range touches.
 * These are the scalar references that the fast kernels are tested against.
 */
public final class BlockQuants {
    private static final ThreadLocal<KQuants.Scratch> SCRATCH = ThreadLocal.withInitial(KQuants.Scratch::new);

    private BlockQuants() {
    }

    /**
     * Quantizes {@code n} values (whole blocks) from {@code src[offset..]} into {@code dst} at byte {@code dstOffset}.
     * NaN and infinity cannot be represented and are rejected.
     */
    public static void quantize(DType dtype, float[] src, int offset, int n, MemorySegment dst, long dstOffset) {
        int block = dtype.blockElements();
        if (n % block != 0) throw new IllegalArgumentException(dtype + " needs a multiple of " + block + " values, got " + n);
        for (int i = 0; i < n; i++) {
            float v = src[offset + i];
            if (!Float.isFinite(v)) throw new IllegalArgumentException("value " + v + " at index " + i + " cannot be represented in " + dtype);
        }
        KQuants.Scratch s = SCRATCH.get();
        for (int b = 0; b < n / block; b++) {
            int base = offset + b * block;
            long at = dstOffset + (long) b * dtype.blockBytes();
            switch (dtype) {
                case Q4_0 -> LegacyQuants.quantizeQ4_0(src, base, dst, at);
                case Q5_0 -> LegacyQuants.quantizeQ5_0(src, base, dst, at);
                case Q5_1 -> LegacyQuants.quantizeQ5_1(src, base, dst, at);
                case Q4_K -> KQuants.quantizeQ4K(src, base, dst, at, s);
                case Q5_K -> KQuants.quantizeQ5K(src, base, dst, at, s);
                case Q6_K -> KQuants.quantizeQ6K(src, base, dst, at, s);
                default -> throw new IllegalArgumentException(dtype + " is not a block format of BlockQuants");
            }
        }
    }

    /** Decodes one whole block (byte offset {@code at}) into {@code dst[o .. o + blockElements)}. */
    public static void dequantizeBlock(DType dtype, MemorySegment src, long at, float[] dst, int o) {
        switch (dtype) {
            case Q4_0 -> LegacyQuants.dequantizeQ4_0(src, at, dst, o);
            case Q5_0 -> LegacyQuants.dequantizeQ5_0(src, at, dst, o);
            case Q5_1 -> LegacyQuants.dequantizeQ5_1(src, at, dst, o);
            case Q4_K -> KQuants.dequantizeQ4K(src, at, dst, o, SCRATCH.get().packed);
            case Q5_K -> KQuants.dequantizeQ5K(src, at, dst, o, SCRATCH.get().packed);
            case Q6_K -> KQuants.dequantizeQ6K(src, at, dst, o);
            default -> throw new IllegalArgumentException(dtype + " is not a block format of BlockQuants");
        }
    }

    /** Dequantizes {@code n} values starting at element {@code firstElement} of a segment of {@code dtype} blocks. */
    public static void dequantize(DType dtype, MemorySegment src, long firstElement, int n, float[] dst, int dstOffset) {
        int block = dtype.blockElements();
        float[] one = null;
        long e = firstElement;
        long end = firstElement + n;
        while (e < end) {
            long b = e / block;
            int from = (int) (e - b * block);
            int count = (int) Math.min(block - from, end - e);
            long at = b * dtype.blockBytes();
            int o = dstOffset + (int) (e - firstElement);
            if (from == 0 && count == block) {
                dequantizeBlock(dtype, src, at, dst, o);
            } else {
                if (one == null) one = new float[block];
                dequantizeBlock(dtype, src, at, one, 0);
                System.arraycopy(one, from, dst, o, count);
            }
            e += count;
        }
    }
}
