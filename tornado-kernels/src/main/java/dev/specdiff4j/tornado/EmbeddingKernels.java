package dev.specdiff4j.tornado;

/**
 * Embedding lookups {@code out[t] = table[ids[t]]} for each weight dtype (16-bit values decoded through a {@link Halves}
 * table), and the position ids of a pass.
 */
public final class EmbeddingKernels {
    private EmbeddingKernels() {
    }

    public static void f32(float[] table, int[] ids, float[] out, int k, int dim) {
        for (@Parallel int t = 0; t < k; t++) {
            for (@Parallel int i = 0; i < dim; i++) {
                out[t * dim + i] = table[ids[t] * dim + i];
            }
        }
    }

    public static void f16(short[] table, float[] halves, int[] ids, float[] out, int k, int dim) {
        for (@Parallel int t = 0; t < k; t++) {
            for (@Parallel int i = 0; i < dim; i++) {
                out[t * dim + i] = halves[table[ids[t] * dim + i] + Halves.OFFSET];
            }
        }
    }

    public static void bf16(short[] table, float[] halves, int[] ids, float[] out, int k, int dim) {
        for (@Parallel int t = 0; t < k; t++) {
            for (@Parallel int i = 0; i < dim; i++) {
                out[t * dim + i] = halves[table[ids[t] * dim + i] + Halves.OFFSET];
            }
        }
    }

    /** dim is a multiple of 32. */
    public static void q8(byte[] table, float[] halves, int[] ids, float[] out, int k, int dim) {
        for (@Parallel int t = 0; t < k; t++) {
            for (@Parallel int i = 0; i < dim; i++) {
                int at = ids[t] * (dim / 32) * 34 + (i / 32) * 34;
                float scale = halves[Halves.signedPair(table[at], table[at + 1]) + Halves.OFFSET];
                out[t * dim + i] = scale * table[at + 2 + i % 32];
            }
        }
    }

    /** {@code ids[t] = min(meta[START] + t, limit − 1)}: positions of a pass, clamped for padding rows past the end. */
    public static void positions(int[] meta, int[] ids, int k, int limit) {
        for (@Parallel int t = 0; t < k; t++) {
            ids[t] = Math.min(meta[Meta.START] + t, limit - 1);
        }
    }
}
