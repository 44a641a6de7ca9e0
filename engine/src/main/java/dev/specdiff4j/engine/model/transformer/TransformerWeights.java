package dev.specdiff4j.engine.model.transformer;

import dev.specdiff4j.engine.tensor.Tensor;

import java.util.Arrays;
import java.util.List;

/**
 * The weights of a {@link Transformer}, matrices [out, in] in whatever dtype they were loaded as; norms and biases as
 * floats. Optional parts are null: biases the family does not have, the position table of a RoPE model, the MLP gate
 * of a GELU model, the QK-norms of a model without them, residual gates.
 *
 * @param tokenEmbedding    (V, C)
 * @param positionEmbedding (context, C) learned positions, or null
 * @param finalNormBias     (C) LayerNorm only
 * @param lmHead            (V, C), the token embedding itself when tied
 * @param lmHeadBias        (V) the LM head's bias (the MDLM output layer), or null
 */
public record TransformerWeights(Tensor tokenEmbedding, Tensor positionEmbedding, List<Block> blocks, float[] finalNorm,
                                 float[] finalNormBias, Tensor lmHead, float[] lmHeadBias) {
    public TransformerWeights {
        blocks = List.copyOf(blocks);
    }

    /** Weights whose LM head has no bias. */
    public TransformerWeights(Tensor tokenEmbedding, Tensor positionEmbedding, List<Block> blocks, float[] finalNorm,
                              float[] finalNormBias, Tensor lmHead) {
        this(tokenEmbedding, positionEmbedding, blocks, finalNorm, finalNormBias, lmHead, null);
    }

    /**
     * One block.
     *
     * @param attentionNorm (C), with {@code attentionNormBias} for LayerNorm
     * @param wq            (H*hd, C) queries
     * @param wk            (KV*hd, C) keys
     * @param wv            (KV*hd, C) values
     * @param qNorm         (hd) per-head RMSNorm of queries (QK-norm), or null; {@code kNorm} likewise for keys
     * @param wo            (C, H*hd) attention output
     * @param mlpNorm       (C), with {@code mlpNormBias} for LayerNorm
     * @param gate          (F, C) SwiGLU gate, or null for a GELU MLP
     * @param up            (F, C)
     * @param down          (C, F)
     * @param wqkv          (H*hd + 2*KV*hd, C) q, k and v stacked, projected in one matmul (wq, wk, wv are row slices of
     *                      it), or null for three matmuls
     * @param qkvBias       (H*hd + 2*KV*hd) the biases of a fused projection, or null
     * @param attentionGate (C) per-feature weights of the attention output in the residual add (the MDLM's folded adaLN
     *                      gates), or null for a plain add; {@code mlpGate} likewise for the MLP output
     */
    public record Block(float[] attentionNorm, float[] attentionNormBias, Tensor wq, float[] qBias, Tensor wk, float[] kBias,
                        Tensor wv, float[] vBias, float[] qNorm, float[] kNorm, Tensor wo, float[] oBias, float[] mlpNorm,
                        float[] mlpNormBias, Tensor gate, Tensor up, float[] upBias, Tensor down, float[] downBias,
                        Tensor wqkv, float[] qkvBias, float[] attentionGate, float[] mlpGate) {

        /** A block with separate q, k and v projections. */
        public Block(float[] attentionNorm, float[] attentionNormBias, Tensor wq, float[] qBias, Tensor wk, float[] kBias,
                     Tensor wv, float[] vBias, float[] qNorm, float[] kNorm, Tensor wo, float[] oBias, float[] mlpNorm,
                     float[] mlpNormBias, Tensor gate, Tensor up, float[] upBias, Tensor down, float[] downBias) {
            this(attentionNorm, attentionNormBias, wq, qBias, wk, kBias, wv, vBias, qNorm, kNorm, wo, oBias, mlpNorm, mlpNormBias,
                    gate, up, upBias, down, downBias, null, null, null, null);
        }

        /**
         * A block whose q, k and v come from one stacked matrix (GPT-2's {@code c_attn}), projected in one matmul; the
         * separate projections are zero-copy row slices of it, for code that wants them one by one.
         */
        public static Block fusedQkv(float[] attentionNorm, float[] attentionNormBias, Tensor wqkv, float[] qkvBias, int qDim,
                                     int kvDim, Tensor wo, float[] oBias, float[] mlpNorm, float[] mlpNormBias, Tensor gate,
                                     Tensor up, float[] upBias, Tensor down, float[] downBias) {
            if (wqkv.rows() != qDim + 2 * kvDim) {
                throw new IllegalArgumentException(wqkv.name() + " has " + wqkv.rows() + " rows, q|k|v needs " + (qDim + 2 * kvDim));
            }
            float[] qb = qkvBias == null ? null : Arrays.copyOfRange(qkvBias, 0, qDim);
            float[] kb = qkvBias == null ? null : Arrays.copyOfRange(qkvBias, qDim, qDim + kvDim);
            float[] vb = qkvBias == null ? null : Arrays.copyOfRange(qkvBias, qDim + kvDim, qDim + 2 * kvDim);
            return new Block(attentionNorm, attentionNormBias, wqkv.rowSlice(0, qDim), qb, wqkv.rowSlice(qDim, kvDim), kb,
                    wqkv.rowSlice(qDim + kvDim, kvDim), vb, null, null, wo, oBias, mlpNorm, mlpNormBias, gate, up, upBias, down,
                    downBias, wqkv, qkvBias, null, null);
        }

        /** This block with per-feature gates on its two residual adds: x += gate ⊙ sub-layer output. */
        public Block withResidualGates(float[] attentionGate, float[] mlpGate) {
            return new Block(attentionNorm, attentionNormBias, wq, qBias, wk, kBias, wv, vBias, qNorm, kNorm, wo, oBias, mlpNorm,
                    mlpNormBias, gate, up, upBias, down, downBias, wqkv, qkvBias, attentionGate, mlpGate);
        }
    }
}
