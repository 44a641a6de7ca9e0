package dev.specdiff4j.engine.kernels;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Attention over a paged cache equals attention over the same rows laid out contiguously, bit for bit, for the vector
 * kernels' own paged loop and for the default (gather, then {@link Kernels#attention}) that the reference kernels use: page
 * sizes that split the rows anywhere (1, 3, 16, more than all rows), awkward head sizes, a second layer's offsets within the
 * page, and NaN in every slot the rows do not cover (a read past the sequence's rows would show).
 */
class PagedAttentionTest {
    private static final VectorKernels VEC = new VectorKernels(2);
    private static final ReferenceKernels REF = new ReferenceKernels();

    @AfterAll
    static void close() {
        VEC.close();
    }

    /** Pages of {@code layers} layers (keys, then values, per layer) holding {@code rows} rows in layer {@code layer}; NaN elsewhere. */
    private static float[][] paged(float[] keys, float[] values, int rows, int dim, int pageRows, int layers, int layer) {
        float[][] pages = new float[Math.ceilDiv(rows, pageRows) + 1][]; // one spare page, never read
        for (int p = 0; p < pages.length; p++) {
            pages[p] = new float[2 * layers * pageRows * dim];
            Arrays.fill(pages[p], Float.NaN);
        }
        int keyBase = 2 * layer * pageRows * dim;
        for (int j = 0; j < rows; j++) {
            System.arraycopy(keys, j * dim, pages[j / pageRows], keyBase + (j % pageRows) * dim, dim);
            System.arraycopy(values, j * dim, pages[j / pageRows], keyBase + pageRows * dim + (j % pageRows) * dim, dim);
        }
        return pages;
    }

    private static float[] random(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) rnd.nextGaussian();
        return a;
    }

    @Test
    void pagedAttentionEqualsContiguousAttentionBitForBit() {
        Random rnd = new Random(20);
        for (Kernels kernels : new Kernels[] {VEC, REF}) {
            for (int pageRows : new int[] {1, 3, 16, 200}) {
                for (int headDim : new int[] {8, 17, 64}) {
                    for (int heads : new int[] {1, 3}) {
                        for (int k : new int[] {1, 4, 17}) {
                            int dim = heads * headDim;
                            int prefix = rnd.nextInt(40);
                            int rows = prefix + k;
                            float[] q = random(rnd, k * dim);
                            float[] keys = random(rnd, rows * dim);
                            float[] values = random(rnd, rows * dim);
                            int layer = rnd.nextInt(2);
                            float[][] pages = paged(keys, values, rows, dim, pageRows, 2, layer);
                            int keyBase = 2 * layer * pageRows * dim;
                            float[] expected = new float[k * dim];
                            float[] actual = new float[k * dim];
                            kernels.attention(q, k, keys, values, rows, prefix, true, heads, headDim, expected);
                            kernels.pagedAttention(q, k, pages, keyBase, keyBase + pageRows * dim, pageRows, prefix, heads, headDim, actual);
                            assertThat(actual).as("%s pageRows=%d headDim=%d heads=%d k=%d prefix=%d layer=%d", kernels.name(), pageRows,
                                    headDim, heads, k, prefix, layer).containsExactly(expected);
                        }
                    }
                }
            }
        }
    }
}
