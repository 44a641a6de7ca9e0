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
                        AttentionKernels.attention(qkv, 3 * dim, keys, values, actual, Meta.pass(k, prefix, kvLength, base), heads, headDim,
                                causal ? 1 : 0);
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
        AttentionKernels.attention(q, dim, keys, values, first, Meta.pass(k, 2, 0, 0), heads, headDim, 1);
        Arrays.fill(keys, 5 * dim, 10 * dim, 9f); // positions after the last query
        Arrays.fill(values, 5 * dim, 10 * dim, 9f);
        float[] second = new float[k * dim];
        AttentionKernels.attention(q, dim, keys, values, second, Meta.pass(k, 2, 0, 0), heads, headDim, 1);
        assertThat(second).containsExactly(first);
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
        AttentionKernels.storeKv(qkv, keys, values, Meta.pass(k, 4, 0, base), dim);
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
