package dev.specdiff4j.engine.io;

import dev.specdiff4j.engine.tensor.DType;

/** ggml tensor types that may appear in GGUF files: their ids, block sizes and which ones specdiff4j computes with. */
public enum GgmlType {
    F32(0, 1, 4, DType.F32),
    F16(1, 1, 2, DType.F16),
    Q4_0(2, 32, 18, DType.Q4_0),
    Q4_1(3, 32, 20, null),
    Q5_0(6, 32, 22, DType.Q5_0),
    Q5_1(7, 32, 24, DType.Q5_1),
    Q8_0(8, 32, 34, DType.Q8_0),
    Q8_1(9, 32, 36, null),
    Q2_K(10, 256, 84, null),
    Q3_K(11, 256, 110, null),
    Q4_K(12, 256, 144, DType.Q4_K),
    Q5_K(13, 256, 176, DType.Q5_K),
    Q6_K(14, 256, 210, DType.Q6_K),
    Q8_K(15, 256, 292, null),
    I8(24, 1, 1, null),
    I16(25, 1, 2, null),
    I32(26, 1, 4, null),
    I64(27, 1, 8, null),
    F64(28, 1, 8, null),
    BF16(30, 1, 2, DType.BF16);

    public final int id;
    public final int blockElements;
    public final int blockBytes;
    /** The engine dtype, or null when specdiff4j cannot compute with this type. */
    public final DType dtype;

    GgmlType(int id, int blockElements, int blockBytes, DType dtype) {
        this.id = id;
        this.blockElements = blockElements;
        this.blockBytes = blockBytes;
        this.dtype = dtype;
    }

    public static GgmlType byId(long id) {
        for (GgmlType t : values()) if (t.id == id) return t;
        return null;
    }

    public static GgmlType of(DType dtype) {
        for (GgmlType t : values()) if (t.dtype == dtype) return t;
        throw new IllegalArgumentException("no ggml type for " + dtype);
    }
}
