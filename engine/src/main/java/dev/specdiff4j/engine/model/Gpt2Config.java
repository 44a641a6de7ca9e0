package dev.specdiff4j.engine.model;

import dev.specdiff4j.engine.io.GgufFile;
import dev.specdiff4j.json.JsonException;
import dev.specdiff4j.json.JsonFields;

/** The shape of a GPT-2 model, from an HF {@code config.json} or GGUF {@code gpt2.*} metadata. */
public record Gpt2Config(int vocabSize, int contextLength, int dim, int layers, int heads, int ffnDim, float layerNormEps,
                         int eosTokenId) {

    public Gpt2Config {
        if (dim <= 0 || layers <= 0 || heads <= 0 || vocabSize <= 0 || contextLength <= 0 || ffnDim <= 0) {
            throw new ModelFormatException("GPT-2 config has a non-positive size: " + this);
        }
        if (dim % heads != 0) throw new ModelFormatException("GPT-2 config: n_embd " + dim + " is not a multiple of n_head " + heads);
    }

    public int headDim() {
        return dim / heads;
    }

    static Gpt2Config fromHf(JsonFields c) {
        try {
            String activation = c.stringOr("activation_function", "gelu_new");
            if (!activation.equals("gelu_new") && !activation.equals("gelu_pytorch_tanh")) {
                throw new ModelFormatException(c.source() + ": activation_function '" + activation
                        + "' is not supported (GPT-2 uses gelu_new, the tanh form)");
            }
            if (c.has("scale_attn_by_inverse_layer_idx") && Boolean.TRUE.equals(c.raw("scale_attn_by_inverse_layer_idx"))) {
                throw new ModelFormatException(c.source() + ": scale_attn_by_inverse_layer_idx is not supported");
            }
            if (c.has("scale_attn_weights") && Boolean.FALSE.equals(c.raw("scale_attn_weights"))) {
                throw new ModelFormatException(c.source() + ": scale_attn_weights=false is not supported");
            }
            if (c.has("tie_word_embeddings") && Boolean.FALSE.equals(c.raw("tie_word_embeddings"))) {
                throw new ModelFormatException(c.source() + ": untied GPT-2 output embeddings are not supported");
            }
            int dim = c.integer("n_embd");
            int context = c.has("n_positions") ? c.integer("n_positions") : c.integer("n_ctx");
            return new Gpt2Config(c.integer("vocab_size"), context, dim, c.integer("n_layer"), c.integer("n_head"),
                    c.integerOr("n_inner", 4 * dim), (float) c.numberOr("layer_norm_epsilon", 1e-5),
                    c.integerOr("eos_token_id", -1));
        } catch (JsonException e) {
            throw new ModelFormatException(e.getMessage());
        }
    }

    static Gpt2Config fromGguf(GgufFile g, int vocabSize) {
        try {
            int dim = (int) g.integer("gpt2.embedding_length");
            int ffn = g.metadata().containsKey("gpt2.feed_forward_length") ? (int) g.integer("gpt2.feed_forward_length") : 4 * dim;
            int eos = g.metadata().get("tokenizer.ggml.eos_token_id") instanceof Long l ? (int) (long) l : -1;
            return new Gpt2Config(vocabSize, (int) g.integer("gpt2.context_length"), dim, (int) g.integer("gpt2.block_count"),
                    (int) g.integer("gpt2.attention.head_count"), ffn, (float) g.number("gpt2.attention.layer_norm_epsilon"), eos);
        } catch (RuntimeException e) {
            throw new ModelFormatException(e.getMessage(), e);
        }
    }

    /** Parameter count (the tied LM head counted once). */
    public long parameters() {
        long perLayer = 4L * dim + 3L * dim * dim + 3L * dim + (long) dim * dim + dim + 2L * dim * ffnDim + ffnDim + dim;
        return (long) vocabSize * dim + (long) contextLength * dim + layers * perLayer + 2L * dim;
    }
}
