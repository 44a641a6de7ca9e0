package dev.specdiff4j.tornado;

import dev.specdiff4j.engine.kernels.ReferenceKernels;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Attention, cache writes and rotary embeddings against ReferenceKernels, with the layouts a device uses: queries
 * inside fused q|k|v rows, and the cache rows of a session starting at an offset (meta[KV_BASE]).
 */
class AttentionKernelsTest {
    private static final ReferenceKernels REF = new ReferenceKernels();

    /** k rows of width 3·dim whose first third is q. */
    static float[] fused(float[] q, int k, int dim, Random rnd) {
        float[] qkv = Agreement.random(rnd, k * 3 * dim, 1);
        for (int t = 0; t < k; t++) System.arraycopy(q, t * dim, qkv, t * 3 * dim, dim);
        return qkv;
    }

    @Test
    void attentionAgreesCausalAndBidirectional() {
        Random rnd = new Random(4);
        for (int headDim : new int[] {8, 17, 64, 80}) {
            for (int heads : new int[] {1, 3}) {
                int dim = heads * headDim;
                for (int k : new int[] {1, 4, 9, 33}) {
                    int prefix = rnd.nextInt(40);
                    int kvLength = prefix + k + rnd.nextInt(5);
                    int base = 7 * dim; // another session's rows come first
                    float[] q = Agreement.random(rnd, k * dim, 1);
                    float[] keys = Agreement.random(rnd, base + kvLength * dim, 1);
                    float[] values = Agreement.random(rnd, base + kvLength * dim, 1);
                    float[] ownKeys = Arrays.copyOfRange(keys, base, keys.length);
                    float[] ownValues = Arrays.copyOfRange(values, base, values.length);
                    float[] qkv = fused(q, k, dim, rnd);
                    for (boolean causal : new boolean[] {true, false}) {
                        float[] expected = new float[k * dim];
                        REF.attention(q, k, ownKeys, ownValues, kvLength, prefix, causal, heads, headDim, expected);
                        float[] actual = new float[k * dim];
                        AttentionKernels.attention(qkv, 3 * dim, keys, values, actual, Meta.pass(k, prefix, kvLength, base), heads, heads,
                                headDim, causal ? 1 : 0);
                        Agreement.close(actual, expected, 2e-5, 1e-6, "attention headDim=" + headDim + " heads=" + heads + " k=" + k + " causal=" + causal);
                    }
                }
            }
        }
    }

    @Test
    void causalQueriesIgnoreLaterKeys() {
        Random rnd = new Random(5);
        int heads = 2;
        int headDim = 8;
        int dim = heads * headDim;
        int k = 3;
        float[] q = Agreement.random(rnd, k * dim, 1);
        float[] keys = Agreement.random(rnd, 10 * dim, 1);
        float[] values = Agreement.random(rnd, 10 * dim, 1);
        float[] first = new float[k * dim];
        AttentionKernels.attention(q, dim, keys, values, first, Meta.pass(k, 2, 0, 0), heads, heads, headDim, 1);
        Arrays.fill(keys, 5 * dim, 10 * dim, 9f); // positions after the last query
        Arrays.fill(values, 5 * dim, 10 * dim, 9f);
        float[] second = new float[k * dim];
        AttentionKernels.attention(q, dim, keys, values, second, Meta.pass(k, 2, 0, 0), heads, heads, headDim, 1);
        assertThat(second).containsExactly(first);
    }

    /**
     * Grouped-query attention against multi-head attention over the key/value heads repeated for every query head of
     * their group (how HF's repeat_kv defines it), with the queries inside fused q|k|v rows and a slot offset.
     */
    @Test
    void groupedQueryAttentionEqualsMultiHeadOverRepeatedKeysAndValues() {
        Random rnd = new Random(8);
        for (int[] shape : new int[][] {{4, 2, 8}, {6, 3, 17}, {8, 1, 16}, {4, 4, 10}}) {
            int heads = shape[0];
            int kvHeads = shape[1];
            int headDim = shape[2];
            int group = heads / kvHeads;
            int qDim = heads * headDim;
            int kvDim = kvHeads * headDim;
            int width = qDim + 2 * kvDim;
            for (int k : new int[] {1, 5}) {
                int prefix = rnd.nextInt(20);
                int kvLength = prefix + k + rnd.nextInt(4);
                int base = 3 * kvDim;
                float[] keys = Agreement.random(rnd, base + kvLength * kvDim, 1);
                float[] values = Agreement.random(rnd, base + kvLength * kvDim, 1);
                float[] repeatedKeys = new float[kvLength * qDim];
                float[] repeatedValues = new float[kvLength * qDim];
                for (int j = 0; j < kvLength; j++) {
                    for (int h = 0; h < heads; h++) {
                        System.arraycopy(keys, base + j * kvDim + h / group * headDim, repeatedKeys, j * qDim + h * headDim, headDim);
                        System.arraycopy(values, base + j * kvDim + h / group * headDim, repeatedValues, j * qDim + h * headDim, headDim);
                    }
                }
                float[] qkv = Agreement.random(rnd, k * width, 1);
                float[] q = new float[k * qDim];
                for (int t = 0; t < k; t++) System.arraycopy(qkv, t * width, q, t * qDim, qDim);
                for (boolean causal : new boolean[] {true, false}) {
                    float[] expected = new float[k * qDim];
                    REF.attention(q, k, repeatedKeys, repeatedValues, kvLength, prefix, causal, heads, headDim, expected);
                    float[] actual = new float[k * qDim];
                    AttentionKernels.attention(qkv, width, keys, values, actual, Meta.pass(k, prefix, kvLength, base), heads, kvHeads, headDim,
                            causal ? 1 : 0);
                    Agreement.close(actual, expected, 2e-5, 1e-6, "GQA heads=" + heads + "/" + kvHeads + " headDim=" + headDim + " k=" + k + " causal=" + causal);
                }
            }
        }
    }

    @Test
    void storeKvWritesTheKeyAndValueThirdsAtTheirPositions() {
        Random rnd = new Random(6);
        int dim = 5;
        int k = 3;
        float[] qkv = Agreement.random(rnd, k * 3 * dim, 1);
        int base = 2 * dim;
        float[] keys = new float[base + 10 * dim];
        float[] values = new float[base + 10 * dim];
        AttentionKernels.storeKv(qkv, keys, values, Meta.pass(k, 4, 0, base), dim, dim);
        for (int p = 0; p < 10; p++) {
            for (int i = 0; i < dim; i++) {
                int t = p - 4;
                boolean written = t >= 0 && t < k;
                assertThat(keys[base + p * dim + i]).isEqualTo(written ? qkv[t * 3 * dim + dim + i] : 0f);
                assertThat(values[base + p * dim + i]).isEqualTo(written ? qkv[t * 3 * dim + 2 * dim + i] : 0f);
            }
        }
        assertThat(Arrays.copyOf(keys, base)).containsOnly(0f);
    }

    /** Grouped key/value heads: q wider than k and v, so the k part starts at qDim and a cache row is kvDim wide. */
    @Test
    void storeKvOfGroupedHeadsReadsPastTheWiderQueries() {
        int qDim = 6;
        int kvDim = 2;
        int width = qDim + 2 * kvDim;
        int k = 2;
        float[] qkv = new float[k * width];
        for (int i = 0; i < qkv.length; i++) qkv[i] = i;
        float[] keys = new float[kvDim + 4 * kvDim];
        float[] values = new float[kvDim + 4 * kvDim];
        AttentionKernels.storeKv(qkv, keys, values, Meta.pass(k, 1, 0, kvDim), qDim, kvDim);
        // row 0 = 0..9 (q 0..5, k 6 7, v 8 9), row 1 = 10..19 (k 16 17, v 18 19); positions 1 and 2 after a 1-row slot offset
        assertThat(keys).containsExactly(0, 0, 0, 0, 6, 7, 16, 17, 0, 0);
        assertThat(values).containsExactly(0, 0, 0, 0, 8, 9, 18, 19, 0, 0);
    }

    @Test
    void ropeAgreesOnTheQueryAndKeyThirdsOfFusedRows() {
        Random rnd = new Random(7);
        for (int headDim : new int[] {2, 10, 64, 66}) {
            int heads = 3;
            int dim = heads * headDim;
            int k = 7;
            float[][] tables = Agreement.ropeTables(50, headDim);
            float[] qkv = Agreement.random(rnd, k * 3 * dim, 1);
            float[] q = new float[k * dim];
            float[] key = new float[k * dim];
            for (int t = 0; t < k; t++) {
                System.arraycopy(qkv, t * 3 * dim, q, t * dim, dim);
                System.arraycopy(qkv, t * 3 * dim + dim, key, t * dim, dim);
            }
            REF.rope(q, k, heads, headDim, 20, tables[0], tables[1]);
            REF.rope(key, k, heads, headDim, 20, tables[0], tables[1]);
            float[] actual = qkv.clone();
            AttentionKernels.rope(actual, 0, 3 * dim, Meta.pass(k, 20, 0, 0), tables[0], tables[1], heads, headDim);
            AttentionKernels.rope(actual, dim, 3 * dim, Meta.pass(k, 20, 0, 0), tables[0], tables[1], heads, headDim);
            for (int t = 0; t < k; t++) {
                Agreement.close(Arrays.copyOfRange(actual, t * 3 * dim, t * 3 * dim + dim), Arrays.copyOfRange(q, t * dim, (t + 1) * dim),
                        2e-6, 1e-6, "rope q headDim=" + headDim);
                Agreement.close(Arrays.copyOfRange(actual, t * 3 * dim + dim, t * 3 * dim + 2 * dim), Arrays.copyOfRange(key, t * dim, (t + 1) * dim),
                        2e-6, 1e-6, "rope k headDim=" + headDim);
                assertThat(Arrays.copyOfRange(actual, t * 3 * dim + 2 * dim, (t + 1) * 3 * dim))
                        .containsExactly(Arrays.copyOfRange(qkv, t * 3 * dim + 2 * dim, (t + 1) * 3 * dim));
            }
        }
    }
}
