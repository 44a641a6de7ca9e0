package dev.specdiff4j.weights;

import dev.specdiff4j.engine.tensor.DType;

import java.util.Locale;

/**
 * How a GGUF export chooses the dtype of each weight matrix. {@link #PURE}: the one dtype asked for. {@link #Q4_K_M}:
 * llama.cpp's Q4_K_M file type (llama-quantize, no importance matrix) for a GPT-2 layout, as the llama.cpp build the
 * tests compare against assigns it: Q4_K by default; Q6_K for output.weight, and for the fused attn_qkv (treated like
 * attn_v) and ffn_down in the layers that get more bits (the first and last eighth, and every third layer between);
 * position_embd is not quantized. (Q5_K, which Q4_K_M uses for other architectures' tensors, does not occur in GPT-2.) A matrix whose rows are not whole 256-value
 * super-blocks falls back as llama.cpp does: Q4_K to Q5_0, Q5_K to Q5_1, Q6_K to Q8_0 (output.weight straight to
 * Q8_0), and F16 if even those blocks do not fit.
 */
public enum QuantMix {
    PURE,
    Q4_K_M;

    /** True for a name this class understands as a mix ({@code q4_k_m}, any case). */
    public static boolean isMix(String dtype) {
        return dtype != null && dtype.toLowerCase(Locale.ROOT).replace("-", "_").equals("q4_k_m");
    }

    /**
     * The dtype of a matrix under this mix. {@code pureType} is the type asked for (PURE) and {@code sourceType} the
     * input's, kept by tensors that are not quantized.
     */
    DType typeFor(String gguf, long cols, int layers, DType pureType, DType sourceType) {
        if (this == PURE) return pureType;
        if (gguf.equals("position_embd.weight")) return sourceType.isQuantized() ? DType.F32 : sourceType;
        if (gguf.equals("output.weight")) return cols % 256 == 0 ? DType.Q6_K : DType.Q8_0;
        DType type = DType.Q4_K;
        boolean moreBitsTensor = gguf.endsWith(".attn_qkv.weight") || gguf.endsWith(".attn_v.weight") || gguf.endsWith(".ffn_down.weight");
        if (moreBitsTensor && moreBits(layer(gguf), layers)) type = DType.Q6_K;
        if (cols % 256 != 0) {
            type = switch (type) {
                case Q4_K -> DType.Q5_0;
                case Q5_K -> DType.Q5_1;
                default -> DType.Q8_0;
            };
            if (cols % type.blockElements() != 0) type = DType.F16;
        }
        return type;
    }

    /** llama.cpp's use_more_bits: the first and last eighth of the layers, and every third layer in between. */
    static boolean moreBits(int layer, int layers) {
        return layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;
    }

    private static int layer(String gguf) {
        return Integer.parseInt(gguf.substring("blk.".length(), gguf.indexOf('.', "blk.".length())));
    }

    /** llama.cpp's llama_ftype for a file of this mix whose matrices are mostly {@code dtype}. */
    long fileType(DType dtype) {
        if (this == Q4_K_M) return 15;
        return switch (dtype) {
            case F32 -> 0;
            case F16 -> 1;
            case Q4_0 -> 2;
            case Q8_0 -> 7;
            case Q5_0 -> 8;
            case Q5_1 -> 9;
            case Q4_K -> 14; // Q4_K_S: the closest llama_ftype for an all-Q4_K file
            case Q5_K -> 16; // Q5_K_S
            case Q6_K -> 18;
            case BF16 -> 32;
        };
    }
}
