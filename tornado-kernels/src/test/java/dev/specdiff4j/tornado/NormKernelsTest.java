package dev.specdiff4j.tornado;

import dev.specdiff4j.engine.kernels.ReferenceKernels;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** Bounds as in the engine's KernelsAgreementTest: 2e-5 of the row scale (layer norm, softmax), 1e-6 (GELU). */
class NormKernelsTest {
    private static final ReferenceKernels REF = new ReferenceKernels();

    @Test
    void layerNormAgreesInPlaceOrNot() {
        Random rnd = new Random(1);
        for (int dim : Agreement.COLS) {
            for (int k : new int[] {1, 3, 17, 33}) {
                float[] x = Agreement.random(rnd, k * dim, 3);
                for (int i = 0; i < x.length; i++) x[i] += 5; // an offset makes the mean matter
                float[] w = Agreement.random(rnd, dim, 1);
                float[] b = Agreement.random(rnd, dim, 1);
                float[] expected = new float[x.length];
                float[] actual = new float[x.length];
                REF.layerNorm(x, k, dim, w, b, 1e-5f, expected);
                NormKernels.layerNorm(x, w, b, actual, Meta.rows(k), dim, 1e-5f);
                Agreement.close(actual, expected, 2e-5, 1e-6, "layerNorm dim=" + dim + " k=" + k);
                float[] inPlace = x.clone();
                NormKernels.layerNorm(inPlace, w, b, inPlace, Meta.rows(k), dim, 1e-5f);
                assertThat(inPlace).containsExactly(actual);
            }
        }
    }

    @Test
    void rmsNormAgreesInPlaceOrNot() {
        Random rnd = new Random(11);
        for (int dim : Agreement.COLS) {
            for (int k : new int[] {1, 3, 17}) {
                float[] x = Agreement.random(rnd, k * dim, 3);
                for (int i = 0; i < x.length; i++) x[i] += 2; // RMSNorm does not centre: an offset must survive
                float[] w = Agreement.random(rnd, dim, 1);
                float[] expected = new float[x.length];
                float[] actual = new float[x.length];
                REF.rmsNorm(x, k, dim, w, 1e-6f, expected);
                NormKernels.rmsNorm(x, w, actual, Meta.rows(k), dim, 1e-6f);
                Agreement.close(actual, expected, 2e-5, 1e-6, "rmsNorm dim=" + dim + " k=" + k);
                float[] inPlace = x.clone();
                NormKernels.rmsNorm(inPlace, w, inPlace, Meta.rows(k), dim, 1e-6f);
                assertThat(inPlace).containsExactly(actual);
            }
        }
    }

    /** QK-norm: each head of the q (or k) part of fused rows normalised on its own; the rest of the rows left alone. */
    @Test
    void rmsNormHeadsNormalisesEachHeadInsideFusedRows() {
        Random rnd = new Random(12);
        for (int headDim : new int[] {1, 8, 17, 48}) {
            int heads = 3;
            int offset = 2 * headDim; // the k part of a row whose q part is two heads wide
            int stride = offset + heads * headDim + 5;
            int k = 4;
            float[] x = Agreement.random(rnd, k * stride, 3);
            float[] w = Agreement.random(rnd, headDim, 1);
            float[] actual = x.clone();
            NormKernels.rmsNormHeads(actual, offset, stride, w, Meta.rows(k), heads, headDim, 1e-6f);
            for (int t = 0; t < k; t++) {
                float[] part = Arrays.copyOfRange(x, t * stride + offset, t * stride + offset + heads * headDim);
                float[] expected = new float[part.length];
                REF.rmsNorm(part, heads, headDim, w, 1e-6f, expected); // heads as rows of width headDim
                Agreement.close(Arrays.copyOfRange(actual, t * stride + offset, t * stride + offset + heads * headDim), expected, 2e-5, 1e-6,
                        "rmsNormHeads headDim=" + headDim + " row " + t);
                assertThat(Arrays.copyOfRange(actual, t * stride, t * stride + offset)).containsExactly(Arrays.copyOfRange(x, t * stride, t * stride + offset));
                assertThat(Arrays.copyOfRange(actual, t * stride + offset + heads * headDim, (t + 1) * stride))
                        .containsExactly(Arrays.copyOfRange(x, t * stride + offset + heads * headDim, (t + 1) * stride));
            }
        }
    }

    @Test
    void swigluAgreesIncludingTheTails() {
        Random rnd = new Random(13);
        for (int n : new int[] {1, 15, 17, 1000}) {
            float[] gate = Agreement.random(rnd, n, 4);
            float[] up = Agreement.random(rnd, n, 2);
            gate[0] = n > 1 ? -60 : gate[0];
            gate[n - 1] = n > 1 ? 60 : gate[n - 1];
            float[] expected = gate.clone();
            float[] actual = gate.clone();
            REF.swiglu(expected, up, n);
            NormKernels.swiglu(actual, up, Meta.rows(1), n);
            Agreement.close(actual, expected, 1e-6, 1e-6, "swiglu n=" + n);
        }
    }

    @Test
    void geluAgreesIncludingTheTails() {
        Random rnd = new Random(2);
        for (int n : new int[] {1, 15, 17, 1000, 20001}) {
            float[] x = Agreement.random(rnd, n, 4);
            x[0] = n > 1 ? -30 : x[0];
            x[n - 1] = n > 1 ? 40 : x[n - 1];
            float[] expected = x.clone();
            float[] actual = x.clone();
            REF.geluTanh(expected, n);
            NormKernels.geluTanh(actual, Meta.rows(1), n);
            Agreement.close(actual, expected, 1e-6, 1e-6, "gelu n=" + n);
        }
    }

    @Test
    void softmaxRowsAgreeAndLeaveTheRestAlone() {
        Random rnd = new Random(3);
        for (int n : Agreement.COLS) {
            int rows = 3;
            float[] x = Agreement.random(rnd, 5 + rows * n + 2, 6);
            float[] expected = x.clone();
            for (int r = 0; r < rows; r++) REF.softmax(expected, 5 + r * n, n);
            float[] actual = x.clone();
            NormKernels.softmaxRows(actual, 5, rows, n);
            Agreement.close(actual, expected, 2e-5, 1e-7, "softmax n=" + n);
            assertThat(Arrays.copyOf(actual, 5)).containsExactly(Arrays.copyOf(x, 5));
            assertThat(Arrays.copyOfRange(actual, 5 + rows * n, x.length)).containsExactly(Arrays.copyOfRange(x, 5 + rows * n, x.length));
        }
    }

    @Test
    void residualAddIsExactWithAndWithoutGate() {
        Random rnd = new Random(4);
        for (int dim : new int[] {1, 7, 65}) {
            int k = 5;
            float[] x = Agreement.random(rnd, k * dim, 1);
            float[] y = Agreement.random(rnd, k * dim, 1);
            float[] gate = Agreement.random(rnd, dim, 1);
            float[] expected = x.clone();
            REF.residualAdd(expected, y, gate, k, dim);
            float[] actual = x.clone();
            NormKernels.residualAdd(actual, y, gate, Meta.rows(k), dim);
            Agreement.exact(actual, expected, "gated dim=" + dim);
            float[] ones = new float[dim];
            Arrays.fill(ones, 1f);
            REF.residualAdd(expected = x.clone(), y, null, k, dim);
            NormKernels.residualAdd(actual = x.clone(), y, ones, Meta.rows(k), dim);
            Agreement.exact(actual, expected, "plain dim=" + dim);
        }
    }

    @Test
    void rowKernelsStopAtMetaRows() {
        // device buffers hold the most rows a pass can have; a pass of fewer must leave the rest alone
        Random rnd = new Random(5);
        int dim = 6;
        float[] x = Agreement.random(rnd, 4 * dim, 1);
        float[] untouched = Arrays.copyOfRange(x, 2 * dim, 4 * dim);
        float[] w = Agreement.random(rnd, dim, 1);
        NormKernels.layerNorm(x, w, w, x, Meta.rows(2), dim, 1e-5f);
        NormKernels.geluTanh(x, Meta.rows(2), dim);
        NormKernels.residualAdd(x, x.clone(), w, Meta.rows(2), dim);
        NormKernels.rmsNorm(x, w, x, Meta.rows(2), dim, 1e-6f);
        NormKernels.swiglu(x, x.clone(), Meta.rows(2), dim);
        assertThat(Arrays.copyOfRange(x, 2 * dim, 4 * dim)).containsExactly(untouched);
    }

    @Test
    void copyRowsStartsAtTheMetaRow() {
        float[] src = new float[5 * 3];
        for (int i = 0; i < src.length; i++) src[i] = i;
        float[] dst = new float[2 * 3 + 1];
        dst[6] = -1;
        NormKernels.copyRows(src, dst, Meta.copy(2, 2), 3);
        assertThat(dst).containsExactly(6, 7, 8, 9, 10, 11, -1);
    }
}
