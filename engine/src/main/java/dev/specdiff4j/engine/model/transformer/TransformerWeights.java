package dev.specdiff4j.engine.model.transformer;

import dev.specdiff4j.engine.tensor.Tensor;

import java.util.List;

/**
 * The weights of a {@link Transformer}, matrices [out, in] in whatever dtype they were loaded as; norms and biases as
 * floats. Optional parts are null: biases the family does not have, the position table of a RoPE model, the MLP gate
 * of a GELU model, the QK-norms of a model without them.
 *
 * @param tokenEmbedding    (V, C)
 * @param positionEmbedding (context, C) learned positions, or null
 * @param finalNormBias     (C) LayerNorm only
 * @param lmHead            (V, C), the token embedding itself when tied
 */
public record TransformerWeights(Tensor tokenEmbedding, Tensor positionEmbedding, List<Block> blocks, float[] finalNorm,
                                 float[] finalNormBias, Tensor lmHead) {
    public TransformerWeights {
        blocks = List.copyOf(blocks);
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
     */
    public record Block(float[] attentionNorm, float[] attentionNormBias, Tensor wq, float[] qBias, Tensor wk, float[] kBias,
                        Tensor wv, float[] vBias, float[] qNorm, float[] kNorm, Tensor wo, float[] oBias, float[] mlpNorm,
                        float[] mlpNormBias, Tensor gate, Tensor up, float[] upBias, Tensor down, float[] downBias) {
    }
}
