package dev.specdiff4j.engine.model.transformer;

/**
 * The shape and the choices of a transformer: what {@link Transformer} needs to run any family it knows (GPT-2, Llama 2/3,
 * Mistral, Qwen 2/2.5, Qwen 3, and the bidirectional MDLM DiT). Every block is: norm → attention (+ residual) → norm → MLP
 * (+ residual); the stream ends in a final norm and the LM head.
 *
 * @param family        the family's name, for the user ("llama", "qwen2", ...)
 * @param vocabSize     rows of the embedding and of the LM head
 * @param contextLength positions a session may hold (capped at the sliding window, see {@code slidingWindow})
 * @param dim           width of the residual stream
 * @param layers        blocks
 * @param heads         query heads
 * @param kvHeads       key/value heads (= heads: multi-head; 1: MQA; between: GQA, {@code heads / kvHeads} queries share one)
 * @param headDim       width of one head ({@code heads * headDim} need not equal dim, as in Qwen 3)
 * @param ffnDim        hidden width of the MLP
 * @param norm          LayerNorm (with bias) or RMSNorm, in every block and at the end
 * @param normEps       the norms' ε
 * @param rope          rotary embedding of queries and keys, or null for none
 * @param qkvBias       whether the q, k, v projections have a bias (Qwen 2)
 * @param qkNorm        whether queries and keys are RMS-normalised per head before RoPE (Qwen 3)
 * @param mlp           GELU (up, down) or SwiGLU (gate, up, down)
 * @param tiedOutput    whether the LM head is the token embedding
 * @param slidingWindow attention window of the family (0: none); the context is capped at it, so every query sees all
 *                      its keys and the window never has to cut any
 * @param eosTokenId    end-of-sequence id from the model's config, or -1
 * @param attention     causal (a decoder: sessions that append tokens) or bidirectional (every position sees every other:
 *                      {@link Transformer#newBidirectionalCache})
 */
public record TransformerSpec(String family, int vocabSize, int contextLength, int dim, int layers, int heads, int kvHeads,
                              int headDim, int ffnDim, Norm norm, float normEps, RopeSpec rope, boolean qkvBias, boolean qkNorm,
                              Mlp mlp, boolean tiedOutput, int slidingWindow, int eosTokenId, Attention attention) {

    public enum Norm { LAYER_NORM, RMS_NORM }

    public enum Mlp { GELU_TANH, SWIGLU }

    public enum Attention { CAUSAL, BIDIRECTIONAL }

    /** A decoder (causal attention). */
    public TransformerSpec(String family, int vocabSize, int contextLength, int dim, int layers, int heads, int kvHeads, int headDim,
                           int ffnDim, Norm norm, float normEps, RopeSpec rope, boolean qkvBias, boolean qkNorm, Mlp mlp,
                           boolean tiedOutput, int slidingWindow, int eosTokenId) {
        this(family, vocabSize, contextLength, dim, layers, heads, kvHeads, headDim, ffnDim, norm, normEps, rope, qkvBias, qkNorm, mlp,
                tiedOutput, slidingWindow, eosTokenId, Attention.CAUSAL);
    }

    public TransformerSpec {
        String where = family + " model: ";
        positive(where, "vocab_size", vocabSize);
        positive(where, "context length", contextLength);
        positive(where, "hidden size", dim);
        positive(where, "layer count", layers);
        positive(where, "attention head count", heads);
        positive(where, "key/value head count", kvHeads);
        positive(where, "head dimension", headDim);
        positive(where, "feed-forward size", ffnDim);
        if (heads % kvHeads != 0) {
            throw new IllegalArgumentException(where + heads + " attention heads cannot be shared among " + kvHeads + " key/value heads");
        }
        if (rope != null && rope.dimensions() != headDim) {
            throw new IllegalArgumentException(where + "RoPE over " + rope.dimensions() + " of a head's " + headDim
                    + " dimensions (partial rotary embedding) is not supported");
        }
        if (attention == null) throw new IllegalArgumentException(where + "no attention kind");
        if (slidingWindow < 0) throw new IllegalArgumentException(where + "negative sliding window " + slidingWindow);
        if (slidingWindow > 0) contextLength = Math.min(contextLength, slidingWindow);
    }

    private static void positive(String where, String what, int value) {
        if (value <= 0) throw new IllegalArgumentException(where + what + " must be positive, not " + value);
    }

    /** Width of all query heads together. */
    public int qDim() {
        return heads * headDim;
    }

    /** Width of all key (or value) heads together. */
    public int kvDim() {
        return kvHeads * headDim;
    }

    /** Parameter count (a tied LM head counted once). */
    public long parameters() {
        long d = dim;
        long attention = d * qDim() + 2 * d * kvDim() + (long) qDim() * d + (qkvBias ? qDim() + 2L * kvDim() : 0) + (qkNorm ? 2L * headDim : 0);
        long mlpWeights = (mlp == Mlp.SWIGLU ? 3 : 2) * d * ffnDim;
        long norms = (norm == Norm.LAYER_NORM ? 4 : 2) * d;
        long embedding = (long) vocabSize * d;
        return embedding * (tiedOutput ? 1 : 2) + layers * (attention + mlpWeights + norms) + (norm == Norm.LAYER_NORM ? 2 : 1) * d;
    }
}
