package dev.specdiff4j.tornado;

/**
 * Attention over a key/value cache, the cache writes that precede it, and GPT-NeoX rotary embeddings, for the
 * meta[ROWS] rows of a pass. Rows of keys and values are {@code kvHeads·headDim} wide in the cache; a query row may sit
 * inside a wider row (the fused q|k|v projection), hence the strides. Positions come from the {@link Meta} array.
 */
public final class AttentionKernels {
    private AttentionKernels() {
    }

    /**
     * Query t (at absolute position meta[START] + t) attends to keys [0, meta[START] + t + 1) when causal, to
     * [0, meta[KV_LENGTH]) otherwise; the cache rows ({@code kvHeads·headDim} wide) start at element meta[KV_BASE].
     * Grouped-query attention (Ainslie et al. 2023): query head h reads key/value head {@code h / (heads / kvHeads)};
     * kvHeads = heads is multi-head attention. Parallel over head × token; two passes over the keys (maximum, then
     * weights and sum), so no scratch memory. Output rows are {@code heads·headDim} wide.
     */
    public static void attention(float[] q, int qStride, float[] keys, float[] values, float[] out, int[] meta,
                                 int heads, int kvHeads, int headDim, int causal) {
        for (@Parallel int h = 0; h < Meta.fixed(heads); h++) {
            for (@Parallel int t = 0; t < meta[Meta.ROWS]; t++) {
                int kvDim = kvHeads * headDim;
                float scale = (float) (1.0 / Math.sqrt(headDim));
                int visible = causal != 0 ? meta[Meta.START] + t + 1 : meta[Meta.KV_LENGTH];
                int cache = meta[Meta.KV_BASE] + h / (heads / kvHeads) * headDim;
                int qBase = t * qStride + h * headDim;
                int oBase = t * heads * headDim + h * headDim;
                float max = -Float.MAX_VALUE;
                for (int j = 0; j < visible; j++) {
                    float s = 0f;
                    for (int i = 0; i < headDim; i++) {
                        s += q[qBase + i] * keys[cache + j * kvDim + i];
                    }
                    max = Math.max(max, s * scale);
                }
                for (int i = 0; i < headDim; i++) {
                    out[oBase + i] = 0f;
                }
                float sum = 0f;
                for (int j = 0; j < visible; j++) {
                    float s = 0f;
                    for (int i = 0; i < headDim; i++) {
                        s += q[qBase + i] * keys[cache + j * kvDim + i];
                    }
                    float p = (float) Math.exp(s * scale - max);
                    sum += p;
                    for (int i = 0; i < headDim; i++) {
                        out[oBase + i] += p * values[cache + j * kvDim + i];
                    }
                }
                float inverse = 1f / sum;
                for (int i = 0; i < headDim; i++) {
                    out[oBase + i] = out[oBase + i] * inverse;
                }
            }
        }
    }

    /**
     * Copies the k and v parts of fused q|k|v rows ({@code qDim + 2·kvDim} wide: q, then k, then v) into the caches
     * ({@code kvDim} wide) at positions meta[START] + t.
     */
    public static void storeKv(float[] qkv, float[] keys, float[] values, int[] meta, int qDim, int kvDim) {
        for (@Parallel int i = 0; i < Meta.fixed(kvDim); i++) {
            for (@Parallel int t = 0; t < meta[Meta.ROWS]; t++) {
                int width = qDim + 2 * kvDim;
                int at = meta[Meta.KV_BASE] + (meta[Meta.START] + t) * kvDim + i;
                keys[at] = qkv[t * width + qDim + i];
                values[at] = qkv[t * width + qDim + kvDim + i];
            }
        }
    }

    /**
     * GPT-NeoX rotary embedding in place: in each head of the rows starting at {@code offset} (row t at
     * {@code offset + t·stride}), elements i and i + headDim/2 are rotated by the angle of position meta[START] + t;
     * {@code cos} / {@code sin} are tables [position][headDim/2].
     */
    public static void rope(float[] x, int offset, int stride, int[] meta, float[] cos, float[] sin, int heads, int headDim) {
        for (@Parallel int h = 0; h < Meta.fixed(heads); h++) {
            for (@Parallel int t = 0; t < meta[Meta.ROWS]; t++) {
                int half = headDim / 2;
                int table = (meta[Meta.START] + t) * half;
                int base = offset + t * stride + h * headDim;
                for (int i = 0; i < half; i++) {
                    float a = x[base + i];
                    float b = x[base + i + half];
                    x[base + i] = a * cos[table + i] - b * sin[table + i];
                    x[base + i + half] = b * cos[table + i] + a * sin[table + i];
                }
            }
        }
    }
}
