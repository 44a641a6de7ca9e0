package dev.specdiff4j.engine.model;

import dev.specdiff4j.engine.kernels.Kernels;
import dev.specdiff4j.engine.kernels.ReferenceKernels;
import dev.specdiff4j.engine.kernels.VectorKernels;
import dev.specdiff4j.engine.model.transformer.BidirectionalCache;
import dev.specdiff4j.engine.model.transformer.TransformerSpec;
import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.engine.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The MDLM computes what its hand-written loop computed, bit for bit: the loop is kept here ({@link LegacyCache}: fused
 * q|k|v matmul, NeoX rotary, bidirectional attention over the cached keys of every position, gated residuals, GELU MLP,
 * final LayerNorm and the output layer with its bias, every step a {@link Kernels} call in the old order), and
 * {@link MaskedDiffusionLm#forward}, {@link MaskedDiffusionLm.BlockCache} and the core's own {@link BidirectionalCache}
 * must give its exact floats: a whole sequence, some rows of it, and a run of block refreshes (several starts and sizes,
 * changed and unchanged tokens, so that the cached keys of the other positions are stale in the same way in both).
 */
class MdlmCoreEquivalenceTest {
    private static final VectorKernels VECTOR = new VectorKernels(2);

    @AfterAll
    static void close() {
        VECTOR.close();
    }

    /** The pre-core MDLM block cache ({@code MaskedDiffusionLm.BlockCache} before the MDLM ran on the core). */
    private static final class LegacyCache {
        private final MaskedDiffusionLm.Weights w;
        private final MdlmConfig c;
        private final Kernels kernels;
        private final int length;
        private final float[][] keys;
        private final float[][] values;
        private int[] ids;

        LegacyCache(MaskedDiffusionLm model, int length) {
            this.w = model.weights();
            this.c = model.config();
            this.kernels = model.kernels();
            this.length = length;
            this.keys = new float[c.blocks()][length * c.dim()];
            this.values = new float[c.blocks()][length * c.dim()];
        }

        float[][] full(int[] sequence, int firstRow, int rows) {
            ids = sequence.clone();
            return run(sequence, 0, firstRow, rows);
        }

        float[][] refresh(int start, int[] block) {
            System.arraycopy(block, 0, ids, start, block.length);
            return run(block, start, start, block.length);
        }

        private float[][] run(int[] tokens, int start, int firstLogitRow, int logitRows) {
            int k = tokens.length;
            int d = c.dim();
            float[] x = new float[k * d];
            float[] h = new float[k * d];
            float[] qkv = new float[k * 3 * d];
            float[] q = new float[k * d];
            float[] kk = new float[k * d];
            float[] attn = new float[k * d];
            float[] o = new float[k * d];
            float[] ffn = new float[k * 4 * d];
            kernels.embedding(w.embedding(), tokens, x);
            for (int l = 0; l < c.blocks(); l++) {
                MaskedDiffusionLm.Block b = w.blocks().get(l);
                kernels.layerNorm(x, k, d, b.norm1Weight(), b.norm1Bias(), MdlmConfig.LAYER_NORM_EPS, h);
                kernels.matmul(h, k, b.qkv(), null, qkv);
                for (int t = 0; t < k; t++) {
                    System.arraycopy(qkv, t * 3 * d, q, t * d, d);
                    System.arraycopy(qkv, t * 3 * d + d, kk, t * d, d);
                    System.arraycopy(qkv, t * 3 * d + 2 * d, values[l], (start + t) * d, d);
                }
                kernels.rope(q, k, c.heads(), c.headDim(), start, w.ropeCos(), w.ropeSin());
                kernels.rope(kk, k, c.heads(), c.headDim(), start, w.ropeCos(), w.ropeSin());
                System.arraycopy(kk, 0, keys[l], start * d, k * d);
                kernels.attention(q, k, keys[l], values[l], length, start, false, c.heads(), c.headDim(), attn);
                kernels.matmul(attn, k, b.out(), null, o);
                kernels.residualAdd(x, o, b.gate1(), k, d);
                kernels.layerNorm(x, k, d, b.norm2Weight(), b.norm2Bias(), MdlmConfig.LAYER_NORM_EPS, h);
                kernels.matmul(h, k, b.fc1(), b.fc1Bias(), ffn);
                kernels.geluTanh(ffn, k * 4 * d);
                kernels.matmul(ffn, k, b.fc2(), b.fc2Bias(), o);
                kernels.residualAdd(x, o, b.gate2(), k, d);
            }
            int from = firstLogitRow - start;
            float[] rowsX = Arrays.copyOfRange(x, from * d, (from + logitRows) * d);
            kernels.layerNorm(rowsX, logitRows, d, w.finalNormWeight(), w.finalNormBias(), MdlmConfig.LAYER_NORM_EPS, rowsX);
            int vocab = c.vocabSize();
            float[] logits = new float[logitRows * vocab];
            kernels.matmul(rowsX, logitRows, w.outputWeight(), w.outputBias(), logits);
            float[][] out = new float[logitRows][];
            for (int r = 0; r < logitRows; r++) out[r] = Arrays.copyOfRange(logits, r * vocab, (r + 1) * vocab);
            return out;
        }
    }

    /** Random tokens, about a third of them MASK (what a denoising pass sees). */
    private static int[] noisyTokens(Random r, int count, int maskId) {
        int[] t = new int[count];
        for (int i = 0; i < count; i++) t[i] = r.nextInt(3) == 0 ? maskId : r.nextInt(maskId);
        return t;
    }

    private static void assertRowsEqual(float[][] actual, float[][] expected, String what) {
        assertThat(actual).as(what).hasNumberOfRows(expected.length);
        for (int t = 0; t < expected.length; t++) assertThat(actual[t]).as("%s row %d", what, t).isEqualTo(expected[t]);
    }

    private static void check(String fixture, DType dtype, Kernels kernels) throws IOException {
        try (MaskedDiffusionLm model = MaskedDiffusionLm.load(Fixtures.folder(fixture), new LoadOptions(dtype, kernels))) {
            Random r = new Random(19);
            int maskId = model.maskId();
            int modelLength = model.config().modelLength();

            // whole sequences (the model length and a shorter one), all rows and a few rows
            for (int length : new int[] {modelLength, 23}) {
                int[] ids = noisyTokens(r, length, maskId);
                float[][] expected = new LegacyCache(model, length).full(ids, 0, length);
                assertRowsEqual(model.forward(ids, 0, length), expected, fixture + " forward of " + length);
                assertRowsEqual(model.forward(ids, 5, 7), Arrays.copyOfRange(expected, 5, 12), fixture + " rows 5..11 of " + length);
            }

            // a full pass, then refreshes of blocks of several positions and sizes, each against the stale cache the ones before
            // left; through the model's block cache and through the core's
            assertThat(model.core().spec().attention()).isEqualTo(TransformerSpec.Attention.BIDIRECTIONAL);
            int length = 40;
            int[] ids = noisyTokens(r, length, maskId);
            LegacyCache legacy = new LegacyCache(model, length);
            MaskedDiffusionLm.BlockCache cache = model.new BlockCache(length);
            BidirectionalCache core = model.core().newBidirectionalCache(length);
            float[][] expected = legacy.full(ids, 8, 16);
            assertRowsEqual(cache.full(ids, 8, 16), expected, fixture + " full pass");
            assertRowsEqual(core.full(ids, 8, 16), expected, fixture + " full pass on the core");
            int[][] blocks = {{8, 16}, {0, 4}, {36, 4}, {17, 1}, {3, 9}, {0, length}, {8, 16}};
            for (int[] block : blocks) {
                int start = block[0];
                int[] tokens = noisyTokens(r, block[1], maskId);
                expected = legacy.refresh(start, tokens.clone());
                assertRowsEqual(cache.refresh(start, tokens), expected, fixture + " refresh of " + block[1] + " at " + start);
                assertRowsEqual(core.refresh(start, tokens), expected, fixture + " refresh of " + block[1] + " at " + start + " on the core");
            }
            int[] unchanged = Arrays.copyOfRange(legacy.ids, 20, 28);
            expected = legacy.refresh(20, unchanged.clone());
            assertRowsEqual(cache.refresh(20, unchanged), expected, fixture + " refresh of an unchanged block");
            assertRowsEqual(core.refresh(20, unchanged), expected, fixture + " refresh of an unchanged block on the core");

            // the CPU passes the sampler asks for are the same block cache
            try (MaskedDiffusionLm.Passes passes = model.passes(length)) {
                int[] sequence = noisyTokens(r, length, maskId);
                LegacyCache other = new LegacyCache(model, length);
                assertRowsEqual(passes.full(sequence, 0, length), other.full(sequence, 0, length), fixture + " passes full");
                int[] block = noisyTokens(r, 6, maskId);
                assertRowsEqual(passes.refresh(30, block), other.refresh(30, block.clone()), fixture + " passes refresh");
            }
        }
    }

    @Test
    void vectorKernelsF32() throws IOException {
        check("mdlm-tiny", null, VECTOR);
        check("mdlm-awkward", null, VECTOR);
    }

    @Test
    void vectorKernelsF16AndQ8() throws IOException {
        check("mdlm-tiny", DType.F16, VECTOR);
        check("mdlm-tiny", DType.Q8_0, VECTOR);
    }

    @Test
    void referenceKernels() throws IOException {
        check("mdlm-tiny", null, new ReferenceKernels());
        check("mdlm-awkward", null, new ReferenceKernels());
    }
}
