package dev.specdiff4j.tornado;

/**
 * Embedding lookups {@code out[t] = table[ids[t]]} for t below meta[ROWS], for each weight layout of
 * {@link ArrayMatrix}, and the position ids of a pass.
 */
public final class EmbeddingKernels {
    private EmbeddingKernels() {
    }

    public static void f32(float[] table, int[] ids, float[] out, int[] meta, int dim) {
        for (@Parallel int i = 0; i < Meta.fixed(dim); i++) {
            for (@Parallel int t = 0; t < meta[Meta.ROWS]; t++) {
                out[t * dim + i] = table[ids[t] * dim + i];
            }
        }
    }

    /** F16 or BF16 rows packed two values to an int, decoded by {@code table} ({@link ArrayMatrix#table()}). */
    public static void packed16(int[] words, float[] table, int[] ids, float[] out, int[] meta, int dim) {
        for (@Parallel int i = 0; i < Meta.fixed(dim); i++) {
            for (@Parallel int t = 0; t < meta[Meta.ROWS]; t++) {
                int e = ids[t] * dim + i;
                out[t * dim + i] = table[(words[e >> 1] >>> ((e & 1) << 4)) & 0xFFFF];
            }
        }
    }

    /** Q8_0 rows (dim a multiple of 32): a scale per block and four signed 8-bit values to an int. */
    public static void q8(float[] scales, int[] quants, int[] ids, float[] out, int[] meta, int dim) {
        for (@Parallel int i = 0; i < Meta.fixed(dim); i++) {
            for (@Parallel int t = 0; t < meta[Meta.ROWS]; t++) {
                int e = ids[t] * dim + i;
                int shift = 24 - ((e & 3) << 3);
                out[t * dim + i] = scales[e / 32] * ((quants[e >> 2] << shift) >> 24);
            }
        }
    }

    /** {@code ids[t] = min(meta[START] + t, limit − 1)} for t below meta[ROWS]: the positions of a pass. */
    public static void positions(int[] meta, int[] ids, int limit) {
        for (@Parallel int t = 0; t < meta[Meta.ROWS]; t++) {
            ids[t] = Math.min(meta[Meta.START] + t, limit - 1);
        }
    }
}
