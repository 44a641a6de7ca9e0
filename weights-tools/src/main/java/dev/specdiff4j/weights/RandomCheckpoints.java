package dev.specdiff4j.weights;

import dev.specdiff4j.engine.io.SafetensorsWriter;
import dev.specdiff4j.engine.io.TensorWriteSource;
import dev.specdiff4j.engine.model.MdlmConfig;
import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.json.Json;
import dev.specdiff4j.tokenizer.BpeTokenizer;
import dev.specdiff4j.tokenizer.HfTokenizerWriter;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Random-weight checkpoints in the real HF layouts, at any shape: GPT-2 small / medium / large / XL, the
 * MDLM-OWT drafter, block drafters, or small ones (an MDLM or block drafter of any vocabulary: drafters for any family). For cost measurements (the weights do not matter for speed) and tests.
 * Written tensor by tensor, so even gpt2-xl needs little memory.
 */
public final class RandomCheckpoints {
    /** A GPT-2 shape. */
    public record Gpt2Shape(String name, int vocab, int context, int dim, int layers, int heads) {
        public static final Gpt2Shape SMALL = new Gpt2Shape("gpt2", 50257, 1024, 768, 12, 12);
        public static final Gpt2Shape MEDIUM = new Gpt2Shape("gpt2-medium", 50257, 1024, 1024, 24, 16);
        public static final Gpt2Shape LARGE = new Gpt2Shape("gpt2-large", 50257, 1024, 1280, 36, 20);
        public static final Gpt2Shape XL = new Gpt2Shape("gpt2-xl", 50257, 1024, 1600, 48, 25);

        public long parameters() {
            long d = dim;
            return (long) vocab * d + (long) context * d + layers * (12 * d * d + 13 * d) + 2 * d;
        }
    }

    /** An MDLM shape; vocab includes MASK. */
    public record MdlmShape(String name, int vocab, int dim, int blocks, int heads, int condDim, int modelLength) {
        public static final MdlmShape OWT = new MdlmShape("mdlm-owt", 50258, 768, 12, 12, 128, 1024);

        public long parameters() {
            return new MdlmConfig(vocab, dim, blocks, heads, condDim, modelLength).parameters();
        }
    }

    /**
     * A block drafter's shape and what it expects of its target: the target's hidden size, the blocks it reads, vocabulary and
     * context (which must be the target's own), its draft layers, heads, MLP width and block size (the last token and γ masks).
     */
    public record BlockDrafterShape(int targetHidden, int[] targetLayers, int targetVocab, int targetPositions, int layers, int heads,
                                    int ffnDim, int blockSize) {
    }

    private RandomCheckpoints() {
    }

    public static Path gpt2(Path folder, Gpt2Shape s, DType dtype, long seed) throws IOException {
        Files.createDirectories(folder);
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("architectures", List.of("GPT2LMHeadModel"));
        config.put("model_type", "gpt2");
        config.put("activation_function", "gelu_new");
        config.put("vocab_size", s.vocab());
        config.put("n_positions", s.context());
        config.put("n_ctx", s.context());
        config.put("n_embd", s.dim());
        config.put("n_layer", s.layers());
        config.put("n_head", s.heads());
        config.put("layer_norm_epsilon", 1e-5);
        config.put("eos_token_id", s.vocab() - 1);
        config.put("bos_token_id", s.vocab() - 1);
        Files.writeString(folder.resolve("config.json"), Json.writePretty(config) + "\n", StandardCharsets.UTF_8);
        int d = s.dim();
        List<TensorWriteSource> t = new ArrayList<>();
        SplittableRandom random = new SplittableRandom(seed);
        t.add(normal("transformer.wte.weight", dtype, random.split(), 0.02, s.vocab(), d));
        t.add(normal("transformer.wpe.weight", dtype, random.split(), 0.01, s.context(), d));
        for (int i = 0; i < s.layers(); i++) {
            String h = "transformer.h." + i + ".";
            t.add(constant(h + "ln_1.weight", dtype, 1f, d));
            t.add(constant(h + "ln_1.bias", dtype, 0f, d));
            t.add(normal(h + "attn.c_attn.weight", dtype, random.split(), 0.02, d, 3 * d));
            t.add(constant(h + "attn.c_attn.bias", dtype, 0f, 3 * d));
            t.add(normal(h + "attn.c_proj.weight", dtype, random.split(), 0.02, d, d));
            t.add(constant(h + "attn.c_proj.bias", dtype, 0f, d));
            t.add(constant(h + "ln_2.weight", dtype, 1f, d));
            t.add(constant(h + "ln_2.bias", dtype, 0f, d));
            t.add(normal(h + "mlp.c_fc.weight", dtype, random.split(), 0.02, d, 4 * d));
            t.add(constant(h + "mlp.c_fc.bias", dtype, 0f, 4 * d));
            t.add(normal(h + "mlp.c_proj.weight", dtype, random.split(), 0.02, 4 * d, d));
            t.add(constant(h + "mlp.c_proj.bias", dtype, 0f, d));
        }
        t.add(constant("transformer.ln_f.weight", dtype, 1f, d));
        t.add(constant("transformer.ln_f.bias", dtype, 0f, d));
        SafetensorsWriter.write(folder.resolve("model.safetensors"), true, Map.of("format", "pt", "weights", "random"), t);
        return folder;
    }

    public static Path mdlm(Path folder, MdlmShape s, DType dtype, long seed) throws IOException {
        return mdlm(folder, s, dtype, seed, -1);
    }

    /**
     * An MDLM whose every position predicts {@code token}: its output layer's weights are zero and its bias 100 at that token, 0
     * elsewhere (the rest random) — a drafter whose drafts a test can foresee.
     */
    public static Path mdlmDrafting(Path folder, MdlmShape s, DType dtype, long seed, int token) throws IOException {
        if (token < 0 || token >= s.vocab() - 1) throw new IllegalArgumentException("token " + token + " is not in the vocabulary (MASK excluded)");
        return mdlm(folder, s, dtype, seed, token);
    }

    private static Path mdlm(Path folder, MdlmShape s, DType dtype, long seed, int fixedToken) throws IOException {
        Files.createDirectories(folder);
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("model_type", "mdlm");
        config.put("vocab_size", s.vocab());
        config.put("hidden_dim", s.dim());
        config.put("n_blocks", s.blocks());
        config.put("n_heads", s.heads());
        config.put("cond_dim", s.condDim());
        config.put("model_length", s.modelLength());
        config.put("time_conditioning", false);
        Files.writeString(folder.resolve("config.json"), Json.writePretty(config) + "\n", StandardCharsets.UTF_8);
        int d = s.dim();
        int c = s.condDim();
        SplittableRandom random = new SplittableRandom(seed);
        List<TensorWriteSource> t = new ArrayList<>();
        String b = "backbone.";
        t.add(normal(b + "vocab_embed.embedding", dtype, random.split(), 0.02, s.vocab(), d));
        t.add(normal(b + "sigma_map.mlp.0.weight", dtype, random.split(), 0.02, c, 256));
        t.add(constant(b + "sigma_map.mlp.0.bias", dtype, 0f, c));
        t.add(normal(b + "sigma_map.mlp.2.weight", dtype, random.split(), 0.02, c, c));
        t.add(constant(b + "sigma_map.mlp.2.bias", dtype, 0f, c));
        for (int i = 0; i < s.blocks(); i++) {
            String k = b + "blocks." + i + ".";
            t.add(constant(k + "norm1.weight", dtype, 1f, d));
            t.add(normal(k + "attn_qkv.weight", dtype, random.split(), 0.02, 3 * d, d));
            t.add(normal(k + "attn_out.weight", dtype, random.split(), 0.02, d, d));
            t.add(constant(k + "norm2.weight", dtype, 1f, d));
            t.add(normal(k + "mlp.0.weight", dtype, random.split(), 0.02, 4 * d, d));
            t.add(constant(k + "mlp.0.bias", dtype, 0f, 4 * d));
            t.add(normal(k + "mlp.2.weight", dtype, random.split(), 0.02, d, 4 * d));
            t.add(constant(k + "mlp.2.bias", dtype, 0f, d));
            t.add(normal(k + "adaLN_modulation.weight", dtype, random.split(), 0.02, 6 * d, c));
            t.add(constant(k + "adaLN_modulation.bias", dtype, 0f, 6 * d));
        }
        t.add(constant(b + "output_layer.norm_final.weight", dtype, 1f, d));
        if (fixedToken < 0) {
            t.add(normal(b + "output_layer.linear.weight", dtype, random.split(), 0.02, s.vocab(), d));
            t.add(constant(b + "output_layer.linear.bias", dtype, 0f, s.vocab()));
        } else {
            t.add(constant(b + "output_layer.linear.weight", dtype, 0f, s.vocab(), d));
            t.add(tensor(b + "output_layer.linear.bias", dtype, new long[] {s.vocab()}, i -> i == fixedToken ? 100f : 0f));
        }
        t.add(normal(b + "output_layer.adaLN_modulation.weight", dtype, random.split(), 0.02, 2 * d, c));
        t.add(constant(b + "output_layer.adaLN_modulation.bias", dtype, 0f, 2 * d));
        SafetensorsWriter.write(folder.resolve("model.safetensors"), true, Map.of("format", "pt", "weights", "random"), t);
        return folder;
    }

    /** A target-conditioned block drafter folder (config.json, model.safetensors) in the layout {@code BlockDiffusionDrafter} reads. */
    public static Path blockDrafter(Path folder, BlockDrafterShape s, DType dtype, long seed) throws IOException {
        return blockDrafter(folder, s, dtype, seed, null);
    }

    /**
     * A block drafter whose weights are all zero but its final norm's bias, {@code output}: every mask row leaves the draft layers
     * as zeros and the final LayerNorm as {@code output} exactly, so every draft is the target's LM head's argmax of it.
     */
    public static Path blockDrafterDrafting(Path folder, BlockDrafterShape s, DType dtype, float[] output) throws IOException {
        if (output.length != s.targetHidden()) throw new IllegalArgumentException("the output has " + output.length + " values, the width is " + s.targetHidden());
        return blockDrafter(folder, s, dtype, 0, output);
    }

    private static Path blockDrafter(Path folder, BlockDrafterShape s, DType dtype, long seed, float[] fixedOutput) throws IOException {
        Files.createDirectories(folder);
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("architectures", List.of("BlockDrafter"));
        config.put("model_type", "block_drafter");
        config.put("target_hidden_size", s.targetHidden());
        config.put("target_layers", java.util.Arrays.stream(s.targetLayers()).boxed().toList());
        config.put("target_vocab_size", s.targetVocab());
        config.put("target_positions", s.targetPositions());
        config.put("n_layer", s.layers());
        config.put("n_head", s.heads());
        config.put("n_inner", s.ffnDim());
        config.put("block_size", s.blockSize());
        config.put("layer_norm_epsilon", 1e-5);
        config.put("rope_theta", 10000.0);
        Files.writeString(folder.resolve("config.json"), Json.writePretty(config) + "\n", StandardCharsets.UTF_8);
        int d = s.targetHidden();
        int f = s.ffnDim();
        SplittableRandom random = fixedOutput == null ? new SplittableRandom(seed) : null; // null: zero weights
        List<TensorWriteSource> t = new ArrayList<>();
        t.add(weight("fc.weight", dtype, next(random), 0.05, d, (long) s.targetLayers().length * d));
        t.add(constant("hidden_norm.weight", dtype, 1f, d));
        t.add(constant("hidden_norm.bias", dtype, 0f, d));
        t.add(weight("mask_embedding", dtype, next(random), 0.02, d));
        t.add(weight("block_embedding", dtype, next(random), 0.02, s.blockSize(), d));
        for (int i = 0; i < s.layers(); i++) {
            String b = "layers." + i + ".";
            t.add(constant(b + "ln_1.weight", dtype, 1f, d));
            t.add(constant(b + "ln_1.bias", dtype, 0f, d));
            t.add(weight(b + "q.weight", dtype, next(random), 0.05, d, d));
            t.add(weight(b + "kv.weight", dtype, next(random), 0.05, 2 * d, d));
            t.add(weight(b + "proj.weight", dtype, next(random), 0.05, d, d));
            t.add(constant(b + "ln_2.weight", dtype, 1f, d));
            t.add(constant(b + "ln_2.bias", dtype, 0f, d));
            t.add(weight(b + "fc.weight", dtype, next(random), 0.05, f, d));
            t.add(constant(b + "fc.bias", dtype, 0f, f));
            t.add(weight(b + "fc_proj.weight", dtype, next(random), 0.05, d, f));
            t.add(constant(b + "fc_proj.bias", dtype, 0f, d));
        }
        t.add(constant("norm.weight", dtype, 1f, d));
        t.add(fixedOutput == null ? constant("norm.bias", dtype, 0f, d) : tensor("norm.bias", dtype, new long[] {d}, i -> fixedOutput[(int) i]));
        SafetensorsWriter.write(folder.resolve("model.safetensors"), true, Map.of("format", "pt", "weights", "random"), t);
        return folder;
    }

    /** Copies a tokenizer into a checkpoint folder (random models need one to be run through the API). */
    public static void addTokenizer(Path folder, BpeTokenizer tokenizer) throws IOException {
        HfTokenizerWriter.write(tokenizer, folder.resolve("tokenizer.json"));
    }

    private static SplittableRandom next(SplittableRandom random) {
        return random == null ? null : random.split();
    }

    /** Normal values, or zeros when {@code random} is null. */
    private static TensorWriteSource weight(String name, DType dtype, SplittableRandom random, double std, long... shape) {
        return random == null ? constant(name, dtype, 0f, shape) : normal(name, dtype, random, std, shape);
    }

    private static TensorWriteSource normal(String name, DType dtype, SplittableRandom random, double std, long... shape) {
        return tensor(name, dtype, shape, i -> (float) (gaussian(random) * std));
    }

    private static TensorWriteSource constant(String name, DType dtype, float value, long... shape) {
        return tensor(name, dtype, shape, i -> value);
    }

    private interface Values {
        float at(long index);
    }

    private static double gaussian(SplittableRandom r) {
        // Box-Muller on the splittable stream (reproducible, fast enough for a billion values)
        double u = 1 - r.nextDouble();
        double v = r.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }

    private static TensorWriteSource tensor(String name, DType dtype, long[] shape, Values values) {
        if (dtype == DType.Q8_0) throw new IllegalArgumentException("random checkpoints are written as F32, F16 or BF16 (quantize at load time)");
        return new TensorWriteSource(name, dtype, shape, out -> write(out, dtype, shape, values));
    }

    private static void write(OutputStream out, DType dtype, long[] shape, Values values) throws IOException {
        long n = 1;
        for (long d : shape) n *= d;
        int elementBytes = dtype == DType.F32 ? 4 : 2;
        ByteBuffer buffer = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        for (long i = 0; i < n; i++) {
            if (buffer.remaining() < elementBytes) {
                out.write(buffer.array(), 0, buffer.position());
                buffer.clear();
            }
            float v = values.at(i);
            switch (dtype) {
                case F32 -> buffer.putFloat(v);
                case F16 -> buffer.putShort(Float.floatToFloat16(v));
                case BF16 -> buffer.putShort(dev.specdiff4j.engine.tensor.Halfs.floatToBf16(v));
                default -> throw new IllegalStateException();
            }
        }
        out.write(buffer.array(), 0, buffer.position());
    }
}
