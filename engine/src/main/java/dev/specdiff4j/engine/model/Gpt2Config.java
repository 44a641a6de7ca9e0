package dev.specdiff4j.engine.model;

import dev.specdiff4j.engine.io.GgufFile;
import dev.specdiff4j.json.JsonException;
import dev.specdiff4j.json.JsonFields;

/** The shape of a GPT-2 model, from an HF {@code config.json} or GGUF {@code gpt2.*} metadata. */
public record Gpt2Config(int vocabSize, int contextLength, int dim, int layers, int heads, int ffnDim, float layerNormEps,
                         int eosTokenId) {

    public Gpt2Config {
        check("GPT-2 config", new FieldNames("vocabSize", "contextLength", "dim", "layers", "heads", "ffnDim", "eosTokenId"),
                vocabSize, contextLength, dim, layers, heads, ffnDim, eosTokenId);
    }

    /** What the fields are called where they were read from, so that an error names the one the user can fix. */
    private record FieldNames(String vocab, String context, String dim, String layers, String heads, String ffn, String eos) {
    }

    private static final FieldNames HF = new FieldNames("vocab_size", "n_positions", "n_embd", "n_layer", "n_head", "n_inner", "eos_token_id");
    private static final FieldNames GGUF = new FieldNames("the rows of token_embd.weight", "gpt2.context_length", "gpt2.embedding_length",
            "gpt2.block_count", "gpt2.attention.head_count", "gpt2.feed_forward_length", "tokenizer.ggml.eos_token_id");

    private static void check(String source, FieldNames names, long vocab, long context, long dim, long layers, long heads, long ffn,
                              long eos) {
        positive(source, names.vocab(), vocab);
        positive(source, names.context(), context);
        positive(source, names.dim(), dim);
        positive(source, names.layers(), layers);
        positive(source, names.heads(), heads);
        positive(source, names.ffn(), ffn);
        if (dim % heads != 0) {
            throw new ModelFormatException(source + ": " + names.dim() + " " + dim + " is not a multiple of " + names.heads() + " " + heads);
        }
        if (eos < -1 || eos >= vocab) {
            throw new ModelFormatException(source + ": " + names.eos() + " " + eos + " is outside the vocabulary of " + vocab
                    + " tokens (ids 0 to " + (vocab - 1) + ")");
        }
    }

    private static void positive(String source, String field, long value) {
        if (value <= 0 || value > Integer.MAX_VALUE) {
            throw new ModelFormatException(source + ": " + field + " must be a positive integer, got " + value);
        }
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
            check(c.source(), c.has("n_positions") ? HF : new FieldNames(HF.vocab(), "n_ctx", HF.dim(), HF.layers(), HF.heads(), HF.ffn(), HF.eos()),
                    c.integer("vocab_size"), context, dim, c.integer("n_layer"), c.integer("n_head"), c.integerOr("n_inner", 4 * Math.max(dim, 1)),
                    c.integerOr("eos_token_id", -1));
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
            long eos = g.metadata().get("tokenizer.ggml.eos_token_id") instanceof Long l ? l : -1;
            check(g.path().toString(), GGUF, vocabSize, g.integer("gpt2.context_length"), dim, g.integer("gpt2.block_count"),
                    g.integer("gpt2.attention.head_count"), ffn, eos);
            return new Gpt2Config(vocabSize, (int) g.integer("gpt2.context_length"), dim, (int) g.integer("gpt2.block_count"),
                    (int) g.integer("gpt2.attention.head_count"), ffn, (float) g.number("gpt2.attention.layer_norm_epsilon"), (int) eos);
        } catch (ModelFormatException e) {
            throw e;
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
