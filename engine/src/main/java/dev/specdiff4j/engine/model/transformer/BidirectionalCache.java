package dev.specdiff4j.engine.model.transformer;

import dev.specdiff4j.engine.kernels.Kernels;

/**
 * Keys and values of every position of one sequence for a bidirectional transformer
 * ({@link TransformerSpec.Attention#BIDIRECTIONAL}), kept so that later passes recompute only a block of positions. A
 * {@link #full} pass is exact; a {@link #refresh} lets the block's rows attend to their own fresh keys and to the cached
 * keys of all the others (from the last pass that computed them: the cached-prefix approximation of diffusion drafting).
 */
public final class BidirectionalCache {
    private final Transformer model;
    private final int length;
    private final float[][] keys;   // per layer (length, KV*hd), RoPE applied
    private final float[][] values; // per layer (length, KV*hd)
    private final TransformerBuffers buffers;
    private int[] ids;

    BidirectionalCache(Transformer model, int length) {
        TransformerSpec spec = model.spec();
        this.model = model;
        this.length = length;
        this.keys = new float[spec.layers()][length * spec.kvDim()];
        this.values = new float[spec.layers()][length * spec.kvDim()];
        this.buffers = new TransformerBuffers(spec);
    }

    /** Positions of the sequence. */
    public int length() {
        return length;
    }

    /** A pass over all positions (exact); fills the cache; returns the logits of rows [firstRow, firstRow + rows). */
    public float[][] full(int[] sequence, int firstRow, int rows) {
        if (sequence.length != length) throw new IllegalArgumentException("the cache holds " + length + " positions, got " + sequence.length);
        float[][] logits = run(sequence, 0, firstRow, rows);
        ids = sequence.clone();
        return logits;
    }

    /**
     * Recomputes only positions [start, start + block.length) with the block's new tokens, against the cached keys and
     * values of every other position; returns the block's logits.
     */
    public float[][] refresh(int start, int[] block) {
        if (ids == null) throw new IllegalStateException("refresh needs a full pass first");
        if (start < 0 || start + block.length > length) throw new IllegalArgumentException("block outside the sequence");
        float[][] logits = run(block, start, start, block.length);
        System.arraycopy(block, 0, ids, start, block.length);
        return logits;
    }

    private float[][] run(int[] tokens, int start, int firstLogitRow, int logitRows) {
        int k = tokens.length;
        int from = firstLogitRow - start;
        if (from < 0 || logitRows < 0 || from + logitRows > k) throw new IllegalArgumentException("logit rows outside the computed positions");
        TransformerSpec spec = model.spec();
        for (int id : tokens) {
            if (id < 0 || id >= spec.vocabSize()) {
                throw new IllegalArgumentException("token id " + id + " is outside the vocabulary of " + spec.vocabSize());
            }
        }
        int kvDim = spec.kvDim();
        int headDim = spec.headDim();
        Kernels kernels = model.kernels();
        int[] positions = new int[k];
        for (int t = 0; t < k; t++) positions[t] = start + t;
        model.blocks(buffers, tokens, positions, null, (l, b, count) -> {
            System.arraycopy(b.k, 0, keys[l], start * kvDim, count * kvDim);
            System.arraycopy(b.v, 0, values[l], start * kvDim, count * kvDim);
            model.attend(b, b.q, count, b.attn, (q, rows, heads, out) ->
                    kernels.attention(q, rows, keys[l], values[l], length, start, false, heads, headDim, out));
        });
        if (logitRows == 0) return new float[0][];
        int[] which = new int[logitRows];
        for (int r = 0; r < logitRows; r++) which[r] = from + r;
        return model.logits(buffers, buffers.x, which);
    }
}
