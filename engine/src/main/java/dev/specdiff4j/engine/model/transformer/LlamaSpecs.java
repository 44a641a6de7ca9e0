package dev.specdiff4j.engine.model.transformer;

import dev.specdiff4j.engine.io.GgufFile;
import dev.specdiff4j.engine.model.ModelFiles;
import dev.specdiff4j.engine.model.ModelFormatException;
import dev.specdiff4j.json.JsonFields;

import java.util.List;

/**
 * The {@link TransformerSpec} of a Llama-layout model from its files: llama.cpp's GGUF metadata
 * ({@code <arch>.embedding_length}, ...) or HF's {@code config.json} ({@code hidden_size}, ...). The families differ
 * in: q/k/v biases (Qwen 2), per-head QK-norm (Qwen 3), a sliding window (Mistral), RoPE scaling (Llama 3).
 * Anything this engine does not compute (another activation, YaRN, partial rotary) is refused with a message naming it.
 */
public final class LlamaSpecs {
    private LlamaSpecs() {
    }

    /** The spec of opened files of a Llama-layout family; a clear {@link ModelFormatException} otherwise. */
    public static TransformerSpec of(ModelFiles files) {
        ModelFiles.Architecture arch = files.architecture();
        if (arch == ModelFiles.Architecture.UNKNOWN) throw new ModelFormatException(files.unsupportedReason());
        if (!arch.isTransformerFamily()) {
            throw new ModelFormatException(files.path() + " is a " + arch.name().toLowerCase() + " model, not a Llama-layout one");
        }
        try {
            return files.gguf() != null ? fromGguf(files.gguf(), arch) : fromHf(files.config(), arch, files.path().toString());
        } catch (ModelFormatException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new ModelFormatException(files.path() + ": " + e.getMessage(), e);
        }
    }

    private static TransformerSpec fromGguf(GgufFile g, ModelFiles.Architecture family) {
        String arch = g.string("general.architecture");
        String a = arch + ".";
        int dim = (int) g.integer(a + "embedding_length");
        int heads = (int) g.integer(a + "attention.head_count");
        int kvHeads = g.metadata().containsKey(a + "attention.head_count_kv") ? (int) g.integer(a + "attention.head_count_kv") : heads;
        int headDim = g.metadata().containsKey(a + "attention.key_length") ? (int) g.integer(a + "attention.key_length") : dim / heads;
        int vocab = g.tensor("token_embd.weight").rows();
        double theta = g.metadata().containsKey(a + "rope.freq_base") ? g.number(a + "rope.freq_base") : 10000;
        int ropeDims = g.metadata().containsKey(a + "rope.dimension_count") ? (int) g.integer(a + "rope.dimension_count") : headDim;
        RopeSpec rope;
        Object scaling = g.metadata().get(a + "rope.scaling.type");
        if (g.find("rope_factors_long.weight").isPresent()) {
            throw new ModelFormatException(g.path() + ": LongRoPE (rope_factors_long.weight, Phi-3 128k) is not supported");
        }
        if (g.find("rope_freqs.weight").isPresent()) {
            rope = RopeSpec.withFrequencyFactors(ropeDims, theta, g.tensor("rope_freqs.weight").toFloatArray());
        } else if (scaling == null || "none".equals(scaling)) {
            rope = RopeSpec.of(ropeDims, theta);
        } else if ("linear".equals(scaling)) {
            rope = linear(ropeDims, theta, g.number(a + "rope.scaling.factor"));
        } else if ("yarn".equals(scaling)) {
            // llama.cpp: mscale = rope.scaling.attn_factor (default 1) · (1 + 0.1·ln(factor))
            double factor = g.number(a + "rope.scaling.factor");
            double attn = g.metadata().containsKey(a + "rope.scaling.attn_factor") ? g.number(a + "rope.scaling.attn_factor") : 1;
            rope = RopeSpec.yarn(ropeDims, theta, factor, g.number(a + "rope.scaling.original_context_length"),
                    g.metadata().containsKey(a + "rope.scaling.yarn_beta_fast") ? g.number(a + "rope.scaling.yarn_beta_fast") : 32,
                    g.metadata().containsKey(a + "rope.scaling.yarn_beta_slow") ? g.number(a + "rope.scaling.yarn_beta_slow") : 1,
                    attn * RopeSpec.yarnAttentionFactor(factor));
        } else {
            throw new ModelFormatException(g.path() + ": RoPE scaling '" + scaling + "' (" + a + "rope.scaling.type) is not supported");
        }
        int window = g.metadata().containsKey(a + "attention.sliding_window") ? (int) g.integer(a + "attention.sliding_window") : 0;
        long eos = g.metadata().get("tokenizer.ggml.eos_token_id") instanceof Long l ? l : -1;
        boolean qkvBias = family == ModelFiles.Architecture.QWEN2 || g.find("blk.0.attn_q.bias").isPresent();
        return new TransformerSpec(arch, vocab, (int) g.integer(a + "context_length"), dim, (int) g.integer(a + "block_count"), heads,
                kvHeads, headDim, (int) g.integer(a + "feed_forward_length"), TransformerSpec.Norm.RMS_NORM,
                (float) g.number(a + "attention.layer_norm_rms_epsilon"), rope, qkvBias, family == ModelFiles.Architecture.QWEN3,
                TransformerSpec.Mlp.SWIGLU, g.find("output.weight").isEmpty(), window, (int) eos);
    }

    private static TransformerSpec fromHf(JsonFields c, ModelFiles.Architecture family, String where) {
        String activation = c.stringOr("hidden_act", "silu");
        if (!activation.equals("silu")) throw new ModelFormatException(where + ": hidden_act '" + activation + "' is not supported (only silu)");
        int dim = c.integer("hidden_size");
        int heads = c.integer("num_attention_heads");
        int kvHeads = c.integerOr("num_key_value_heads", heads);
        int headDim = c.integerOr("head_dim", dim / heads);
        double theta = c.numberOr("rope_theta", 10000);
        RopeSpec rope = RopeSpec.of(headDim, theta);
        if (c.has("rope_scaling")) {
            JsonFields s = c.object("rope_scaling");
            String type = s.stringOr("rope_type", s.stringOr("type", "default"));
            rope = switch (type) {
                case "default" -> rope;
                case "linear" -> linear(headDim, theta, s.number("factor"));
                case "llama3" -> RopeSpec.llama3(headDim, theta, s.number("factor"), s.number("low_freq_factor"),
                        s.number("high_freq_factor"), s.number("original_max_position_embeddings"));
                case "yarn" -> yarn(s, headDim, theta, c.integerOr("max_position_embeddings", 2048));
                default -> throw new ModelFormatException(where + ": rope_scaling type '" + type + "' is not supported (default, linear, llama3, yarn)");
            };
        }
        boolean qkvBias = switch (family) {
            case QWEN2 -> true;
            default -> c.boolOr("attention_bias", false);
        };
        if (c.has("partial_rotary_factor") && c.number("partial_rotary_factor") != 1.0) {
            throw new ModelFormatException(where + ": partial rotary embedding (partial_rotary_factor " + c.number("partial_rotary_factor")
                    + ") is not supported");
        }
        int window = switch (family) {
            case MISTRAL, PHI3 -> c.integerOr("sliding_window", 0);
            case QWEN2, QWEN3 -> c.boolOr("use_sliding_window", false) ? c.integerOr("sliding_window", 0) : 0;
            default -> 0;
        };
        return new TransformerSpec(family.name().toLowerCase(), c.integer("vocab_size"), c.integerOr("max_position_embeddings", 2048), dim,
                c.integer("num_hidden_layers"), heads, kvHeads, headDim, c.integer("intermediate_size"), TransformerSpec.Norm.RMS_NORM,
                (float) c.numberOr("rms_norm_eps", 1e-6), rope, qkvBias, family == ModelFiles.Architecture.QWEN3, TransformerSpec.Mlp.SWIGLU,
                c.boolOr("tie_word_embeddings", false), window, eos(c));
    }

    /**
     * HF's YaRN parameters: {@code factor}, {@code original_max_position_embeddings} (else the config's
     * {@code max_position_embeddings}), {@code beta_fast} 32, {@code beta_slow} 1, and {@code attention_factor}, else the
     * ratio of {@code mscale} and {@code mscale_all_dim}'s factors when both are set, else {@code 0.1·ln(factor) + 1}.
     */
    private static RopeSpec yarn(JsonFields s, int headDim, double theta, int maxPositions) {
        double factor = s.number("factor");
        double attention;
        if (s.has("attention_factor")) {
            attention = s.number("attention_factor");
        } else if (s.has("mscale") && s.has("mscale_all_dim") && s.number("mscale") != 0 && s.number("mscale_all_dim") != 0) {
            attention = mscale(factor, s.number("mscale")) / mscale(factor, s.number("mscale_all_dim"));
        } else {
            attention = RopeSpec.yarnAttentionFactor(factor);
        }
        return RopeSpec.yarn(headDim, theta, factor, s.numberOr("original_max_position_embeddings", maxPositions), s.numberOr("beta_fast", 32),
                s.numberOr("beta_slow", 1), attention);
    }

    private static double mscale(double factor, double mscale) {
        return factor <= 1 ? 1 : 0.1 * mscale * Math.log(factor) + 1;
    }

    /** Linear position interpolation: every frequency divided by {@code factor}. */
    private static RopeSpec linear(int dimensions, double theta, double factor) {
        float[] factors = new float[dimensions / 2];
        java.util.Arrays.fill(factors, (float) factor);
        return RopeSpec.withFrequencyFactors(dimensions, theta, factors);
    }

    /** {@code eos_token_id}: a number, or a list whose first entry is the end of text (Llama 3 Instruct lists three). */
    private static int eos(JsonFields c) {
        Object v = c.raw("eos_token_id");
        if (v instanceof Long l) return (int) (long) l;
        if (v instanceof List<?> list && !list.isEmpty() && list.get(0) instanceof Long l) return (int) (long) l;
        return -1;
    }
}
