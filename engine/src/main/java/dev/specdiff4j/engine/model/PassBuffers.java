package dev.specdiff4j.engine.model;

/**
 * The activations of one forward pass, owned by a session and reused by every pass it runs: allocated for the largest
 * number of tokens seen so far and grown (never shrunk) when a pass needs more. Kernels take the token count and leave
 * the tail of a longer buffer alone, so a buffer sized for 17 tokens serves a one-token step as well.
 */
final class PassBuffers {
    private final int dim;
    private final int ffnDim;
    private final int vocab;
    private int tokens;
    private int logitRows;

    float[] x;       // (k, C) the residual stream
    float[] h;       // (k, C) normalised input of a sub-layer
    float[] qkv;     // (k, 3C)
    float[] q;       // (k, C)
    float[] k;       // (k, C) fresh keys (MDLM, rotated before caching) or position embeddings (GPT-2)
    float[] attn;    // (k, C)
    float[] out;     // (k, C) projection output before the residual add
    float[] ffn;     // (k, F)
    float[] last;    // (rows, C) the rows whose logits are wanted, after the final norm
    float[] logits;  // (rows, V)
    private int[] positions = new int[0];

    PassBuffers(int dim, int ffnDim, int vocab) {
        this.dim = dim;
        this.ffnDim = ffnDim;
        this.vocab = vocab;
    }

    /** Positions start, start + 1, … of a pass over {@code count} tokens (exactly that long: embedding lookups read every id). */
    int[] positions(int start, int count) {
        if (positions.length != count) positions = new int[count];
        for (int t = 0; t < count; t++) positions[t] = start + t;
        return positions;
    }

    /** Makes room for a pass over {@code count} tokens that wants logits for {@code rows} of them. */
    void ensure(int count, int rows) {
        if (count > tokens) {
            x = new float[count * dim];
            h = new float[count * dim];
            qkv = new float[count * 3 * dim];
            q = new float[count * dim];
            k = new float[count * dim];
            attn = new float[count * dim];
            out = new float[count * dim];
            ffn = new float[count * ffnDim];
            tokens = count;
        }
        if (rows > logitRows) {
            last = new float[rows * dim];
            logits = new float[rows * vocab];
            logitRows = rows;
        }
    }
}
