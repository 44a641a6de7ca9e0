package dev.specdiff4j.engine.tensor;

import java.util.Locale;

/** Element types of weight tensors. Q8_0 stores blocks of 32 values: an F16 scale and 32 signed bytes. */
public enum DType {
    F32(4, 1),
    F16(2, 1),
    BF16(2, 1),
    Q8_0(34, 32);

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
        return this == Q8_0;
    }

    /** Parses f32, f16, bf16, q8_0 (any case). */
    public static DType parse(String name) {
        return switch (name.toLowerCase(Locale.ROOT).replace("-", "_")) {
            case "f32", "float32", "fp32" -> F32;
            case "f16", "float16", "fp16" -> F16;
            case "bf16", "bfloat16" -> BF16;
            case "q8_0", "q8" -> Q8_0;
            default -> throw new IllegalArgumentException("unknown dtype '" + name + "': use f32, f16, bf16 or q8_0");
        };
    }

    public String displayName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
