package dev.specdiff4j.engine.model.transformer;

/**
 * The activations of one forward pass of a {@link Transformer}, owned by a session and grown (never shrunk) to the
 * largest pass seen. Kernels take the row count and leave the tail of a longer buffer alone.
 */
final class TransformerBuffers {
    private final TransformerSpec spec;
    private int tokens;

    float[] x;        // (k, C) the residual stream
    float[] h;        // (k, C) normalised input of a sub-layer, or the position embeddings
    float[] q;        // (k, H*hd)
    float[] k;        // (k, KV*hd)
    float[] v;        // (k, KV*hd)
    float[] groupQ;   // (k, KV*hd) the queries of one GQA group
    float[] groupOut; // (k, KV*hd) their attention output
    float[] attn;     // (k, H*hd)
    float[] out;      // (k, C) a sub-layer's output before the residual add
    float[] up;       // (k, F)
    float[] gate;     // (k, F)
    private float[] qkv = new float[0];        // (k, H*hd + 2*KV*hd) a fused q|k|v projection
    private float[] row = new float[0];
    private float[] sessionQ = new float[0];   // the queries of one session of a batch pass
    private float[] sessionOut = new float[0]; // their attention output
    private float[] last = new float[0];
    private float[] logits = new float[0];

    TransformerBuffers(TransformerSpec spec) {
        this.spec = spec;
    }

    /** Makes room for a pass over {@code count} tokens. */
    void ensure(int count) {
        if (count <= tokens) return;
        int d = spec.dim();
        x = new float[count * d];
        h = new float[count * d];
        q = new float[count * spec.qDim()];
        k = new float[count * spec.kvDim()];
        v = new float[count * spec.kvDim()];
        groupQ = new float[count * spec.kvDim()];
        groupOut = new float[count * spec.kvDim()];
        attn = new float[count * spec.qDim()];
        out = new float[count * d];
        up = new float[count * spec.ffnDim()];
        gate = spec.mlp() == TransformerSpec.Mlp.SWIGLU ? new float[count * spec.ffnDim()] : null;
        tokens = count;
    }

    float[] row(int length) {
        if (row.length < length) row = new float[length];
        return row;
    }

    float[] qkv(int length) {
        if (qkv.length < length) qkv = new float[length];
        return qkv;
    }

    float[] sessionQ(int length) {
        if (sessionQ.length < length) sessionQ = new float[length];
        return sessionQ;
    }

    float[] sessionOut(int length) {
        if (sessionOut.length < length) sessionOut = new float[length];
        return sessionOut;
    }

    float[] last(int length) {
        if (last.length < length) last = new float[length];
        return last;
    }

    float[] logits(int length) {
        if (logits.length < length) logits = new float[length];
        return logits;
    }
}
