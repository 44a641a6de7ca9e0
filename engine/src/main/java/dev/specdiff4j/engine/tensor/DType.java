package dev.specdiff4j.engine.tensor;

import java.util.Locale;

/**
 * Element types of weight tensors. The quantized ones store blocks along a row, as llama.cpp does: Q8_0 blocks of
 * 32 values (an F16 scale and 32 signed bytes), Q4_0 / Q5_0 / Q5_1 blocks of 32 (4- and 5-bit levels), and the
 * k-quants Q4_K / Q5_K / Q6_K in super-blocks of 256 with 6- or 8-bit sub-block scales.
 */
public enum DType {
    F32(4, 1),
    F16(2, 1),
    BF16(2, 1),
    Q8_0(34, 32),
    Q4_0(18, 32),
    Q5_0(22, 32),
    Q5_1(24, 32),
    Q4_K(144, 256),
    Q5_K(176, 256),
    Q6_K(210, 256);

    /** Q8_0 block length in elements. */
    public static final int Q8_0_BLOCK = 32;

    private final int blockBytes;
    private final int blockElements;

    DType(int blockBytes, int blockElements) {
        this.blockBytes = blockBytes;
        this.blockElements = blockElements;
    }

    /** Bytes needed for {@code elements} values; -1 when the count does not fill whole blocks. */
    public long bytesFor(long elements) {
        if (elements < 0 || elements % blockElements != 0) return -1;
        return Math.multiplyExact(elements / blockElements, (long) blockBytes);
    }

    public int blockElements() {
        return blockElements;
    }

    public int blockBytes() {
        return blockBytes;
    }

    public boolean isQuantized() {
        return blockElements > 1;
    }

    /** Parses f32, f16, bf16, q8_0, q4_0, q5_0, q5_1, q4_k, q5_k, q6_k (any case). */
    public static DType parse(String name) {
        return switch (name.toLowerCase(Locale.ROOT).replace("-", "_")) {
            case "f32", "float32", "fp32" -> F32;
            case "f16", "float16", "fp16" -> F16;
            case "bf16", "bfloat16" -> BF16;
            case "q8_0", "q8" -> Q8_0;
            case "q4_0" -> Q4_0;
            case "q5_0" -> Q5_0;
            case "q5_1" -> Q5_1;
            case "q4_k" -> Q4_K;
            case "q5_k" -> Q5_K;
            case "q6_k" -> Q6_K;
            default -> throw new IllegalArgumentException("unknown dtype '" + name
                    + "': use f32, f16, bf16, q8_0, q4_0, q5_0, q5_1, q4_k, q5_k or q6_k");
        };
    }

    public String displayName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
