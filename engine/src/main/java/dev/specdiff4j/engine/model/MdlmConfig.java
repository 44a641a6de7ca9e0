package dev.specdiff4j.engine.model;

import dev.specdiff4j.json.JsonException;
import dev.specdiff4j.json.JsonFields;

/**
 * The shape of an MDLM DiT (kuleshov-group/mdlm's config.json). {@code vocabSize} includes the MASK
 * token, which is the last id.
 */
public record MdlmConfig(int vocabSize, int dim, int blocks, int heads, int condDim, int modelLength) {
    public static final int TIME_EMBEDDING = 256;
    public static final float LAYER_NORM_EPS = 1e-5f;

    public MdlmConfig {
        if (vocabSize < 2) throw new ModelFormatException("MDLM config: vocab_size must be at least 2 (tokens plus MASK), got " + vocabSize);
        positive("hidden_dim", dim);
        positive("n_blocks", blocks);
        positive("n_heads", heads);
        positive("cond_dim", condDim);
        positive("model_length", modelLength);
        if (dim % heads != 0) throw new ModelFormatException("MDLM config: hidden_dim " + dim + " is not a multiple of n_heads " + heads);
        if ((dim / heads) % 2 != 0) throw new ModelFormatException("MDLM config: the head width " + dim / heads + " must be even for rotary embeddings");
    }

    private static void positive(String field, int value) {
        if (value <= 0) throw new ModelFormatException("MDLM config: " + field + " must be a positive integer, got " + value);
    }

    public int headDim() {
        return dim / heads;
    }

    /** The MASK token id (the last one). */
    public int maskId() {
        return vocabSize - 1;
    }

    static MdlmConfig fromHf(JsonFields c) {
        try {
            if (Boolean.TRUE.equals(c.raw("time_conditioning"))) {
                throw new ModelFormatException(c.source() + ": time_conditioning is true; specdiff4j only runs MDLM checkpoints "
                        + "trained without time conditioning (the adaLN modulations are then constants), as the public ones are");
            }
            return new MdlmConfig(c.integer("vocab_size"), c.integer("hidden_dim"), c.integer("n_blocks"), c.integer("n_heads"),
                    c.integer("cond_dim"), c.integer("model_length"));
        } catch (JsonException e) {
            throw new ModelFormatException(e.getMessage());
        }
    }

    /** Parameter count (what PyTorch's sum of numel gives; inv_freq is a buffer, not counted). */
    public long parameters() {
        long d = dim;
        long perBlock = d + 3 * d * d + d * d + d + (4 * d * d + 4 * d) + (4 * d * d + d) + ((long) condDim * 6 * d + 6 * d);
        long sigma = (long) TIME_EMBEDDING * condDim + condDim + (long) condDim * condDim + condDim;
        long out = d + (long) vocabSize * d + vocabSize + (long) condDim * 2 * d + 2 * d;
        return (long) vocabSize * d + sigma + blocks * perBlock + out;
    }
}
