package dev.specdiff4j.weights;

import dev.specdiff4j.engine.io.GgufFile;
import dev.specdiff4j.engine.io.GgufWriter;
import dev.specdiff4j.engine.io.SafetensorsWriter;
import dev.specdiff4j.engine.io.TensorWriteSource;
import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.json.Json;

import java.io.IOException;
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
 * Random-weight checkpoints of the Llama-layout families ({@code llama}, {@code qwen2}, {@code qwen3}) in their exact real
 * layouts, the same weights written both ways: an HF folder (config.json as transformers writes it, HF tensor names) and a
 * GGUF file as llama.cpp's convert_hf_to_gguf.py writes it (its metadata keys and tensor names, the llama q/k rows permuted
 * for its RoPE, the tokenizer of a llama.cpp vocab file). Held in memory as F32: for small shapes (tests, references).
 */
public final class RandomTransformers {
    /** A model's family and shape. */
    public record Shape(String family, int vocab, int context, int dim, int layers, int heads, int kvHeads, int headDim, int ffnDim,
                        double ropeTheta, boolean tied) {
        public Shape {
            if (!List.of("llama", "qwen2", "qwen3").contains(family)) throw new IllegalArgumentException("unknown family " + family);
        }

        /** Tiny shapes of each family: 2 layers, 64 wide, GQA 4/2 (Qwen 3 with 32-wide heads, so heads·hd ≠ dim as in the real ones). */
        public static Shape tiny(String family, int vocab) {
            return switch (family) {
                case "llama" -> new Shape("llama", vocab, 512, 64, 2, 4, 2, 16, 160, 500000, false);
                case "qwen2" -> new Shape("qwen2", vocab, 512, 64, 2, 4, 2, 16, 160, 1000000, true);
                case "qwen3" -> new Shape("qwen3", vocab, 512, 64, 2, 4, 2, 32, 160, 1000000, true);
                default -> throw new IllegalArgumentException("unknown family " + family);
            };
        }

        boolean qkvBias() {
            return family.equals("qwen2");
        }

        boolean qkNorm() {
            return family.equals("qwen3");
        }
    }

    /** One tensor: HF name, [rows, cols] (or [n]) and values. */
    private record Weight(String name, long[] shape, float[] values) {
    }

    private final Shape shape;
    private final double matrixScale;
    private final List<Weight> weights = new ArrayList<>();

    private RandomTransformers(Shape shape, long seed, double matrixScale) {
        this.shape = shape;
        this.matrixScale = matrixScale;
        SplittableRandom r = new SplittableRandom(seed);
        int d = shape.dim();
        int q = shape.heads() * shape.headDim();
        int kv = shape.kvHeads() * shape.headDim();
        add(r, "model.embed_tokens.weight", 1.0, 0, shape.vocab(), d);
        for (int l = 0; l < shape.layers(); l++) {
            String b = "model.layers." + l + ".";
            add(r, b + "input_layernorm.weight", 0.3, 1, d);
            add(r, b + "self_attn.q_proj.weight", 0.2, 0, q, d);
            add(r, b + "self_attn.k_proj.weight", 0.2, 0, kv, d);
            add(r, b + "self_attn.v_proj.weight", 0.2, 0, kv, d);
            if (shape.qkvBias()) {
                add(r, b + "self_attn.q_proj.bias", 0.1, 0, q);
                add(r, b + "self_attn.k_proj.bias", 0.1, 0, kv);
                add(r, b + "self_attn.v_proj.bias", 0.1, 0, kv);
            }
            if (shape.qkNorm()) {
                add(r, b + "self_attn.q_norm.weight", 0.3, 1, shape.headDim());
                add(r, b + "self_attn.k_norm.weight", 0.3, 1, shape.headDim());
            }
            add(r, b + "self_attn.o_proj.weight", 0.2, 0, d, q);
            add(r, b + "post_attention_layernorm.weight", 0.3, 1, d);
            add(r, b + "mlp.gate_proj.weight", 0.2, 0, shape.ffnDim(), d);
            add(r, b + "mlp.up_proj.weight", 0.2, 0, shape.ffnDim(), d);
            add(r, b + "mlp.down_proj.weight", 0.2, 0, d, shape.ffnDim());
        }
        add(r, "model.norm.weight", 0.3, 1, d);
        if (!shape.tied()) add(r, "lm_head.weight", 0.2, 0, shape.vocab(), d);
    }

    /** Uniform values in {@code center ± scale}: large enough that each layer changes the logits visibly. */
    private void add(SplittableRandom r, String name, double scale, double center, long... dims) {
        if (dims.length == 2 && !name.equals("model.embed_tokens.weight") && !name.equals("lm_head.weight")) scale *= matrixScale;
        long n = 1;
        for (long x : dims) n *= x;
        float[] v = new float[Math.toIntExact(n)];
        for (int i = 0; i < v.length; i++) v[i] = (float) (center + (r.nextDouble() * 2 - 1) * scale);
        weights.add(new Weight(name, dims, v));
    }

    /** Random weights of a shape; the same seed gives the same weights. */
    public static RandomTransformers of(Shape shape, long seed) {
        return new RandomTransformers(shape, seed, 1);
    }

    /**
     * Random weights whose projection matrices (not the embedding, the LM head or the norms) are {@code matrixScale} times smaller or
     * larger: a small scale keeps a random network smooth enough that engines rounding activations differently (llama.cpp
     * rounds them to 8 bits for quantized matrices) still agree on its greedy tokens.
     */
    public static RandomTransformers of(Shape shape, long seed, double matrixScale) {
        return new RandomTransformers(shape, seed, matrixScale);
    }

    public Shape shape() {
        return shape;
    }

    /** Writes an HF folder: config.json and model.safetensors (F32). */
    public Path writeHf(Path folder) throws IOException {
        Files.createDirectories(folder);
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("architectures", List.of(switch (shape.family()) {
            case "llama" -> "LlamaForCausalLM";
            case "qwen2" -> "Qwen2ForCausalLM";
            default -> "Qwen3ForCausalLM";
        }));
        c.put("model_type", shape.family());
        c.put("vocab_size", shape.vocab());
        c.put("hidden_size", shape.dim());
        c.put("intermediate_size", shape.ffnDim());
        c.put("num_hidden_layers", shape.layers());
        c.put("num_attention_heads", shape.heads());
        c.put("num_key_value_heads", shape.kvHeads());
        c.put("head_dim", shape.headDim());
        c.put("hidden_act", "silu");
        c.put("max_position_embeddings", shape.context());
        c.put("rms_norm_eps", 1e-6);
        c.put("rope_theta", shape.ropeTheta());
        c.put("tie_word_embeddings", shape.tied());
        if (shape.family().equals("llama")) c.put("attention_bias", false);
        c.put("torch_dtype", "float32");
        Files.writeString(folder.resolve("config.json"), Json.writePretty(c) + "\n", StandardCharsets.UTF_8);
        List<TensorWriteSource> t = new ArrayList<>();
        for (Weight w : weights) t.add(f32(w.name(), w.shape(), w.values()));
        SafetensorsWriter.write(folder.resolve("model.safetensors"), true, Map.of("format", "pt", "weights", "random"), t);
        return folder;
    }

    /**
     * Writes the GGUF file llama.cpp's converter would make of {@link #writeHf}'s folder (F32), with the tokenizer of
     * {@code vocabulary} (a llama.cpp {@code ggml-vocab-*.gguf}; its token count must be the shape's vocab), or none.
     */
    public Path writeGguf(Path file, GgufFile vocabulary) throws IOException {
        Map<String, Object> meta = ggufMetadata(shape, 0); // all F32
        if (vocabulary != null) meta.putAll(tokenizerMetadata(vocabulary));
        List<TensorWriteSource> t = new ArrayList<>();
        for (Weight w : weights) {
            String name = ggufName(w.name());
            float[] values = w.values();
            if (shape.family().equals("llama") && name.endsWith("attn_q.weight")) values = permuteRopeRows(values, w.shape(), shape.heads());
            if (shape.family().equals("llama") && name.endsWith("attn_k.weight")) values = permuteRopeRows(values, w.shape(), shape.kvHeads());
            t.add(f32(name, w.shape(), values));
        }
        GgufWriter.write(file, true, meta, t);
        return file;
    }

    /** The model metadata llama.cpp's converter writes for a shape ({@code general.file_type}: llama.cpp's LLAMA_FTYPE code). */
    static Map<String, Object> ggufMetadata(Shape shape, int fileType) {
        String a = shape.family() + ".";
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("general.architecture", shape.family());
        meta.put("general.name", "random " + shape.family());
        meta.put("general.file_type", new GgufWriter.UInt32(fileType));
        meta.put(a + "context_length", new GgufWriter.UInt32(shape.context()));
        meta.put(a + "embedding_length", new GgufWriter.UInt32(shape.dim()));
        meta.put(a + "feed_forward_length", new GgufWriter.UInt32(shape.ffnDim()));
        meta.put(a + "block_count", new GgufWriter.UInt32(shape.layers()));
        meta.put(a + "attention.head_count", new GgufWriter.UInt32(shape.heads()));
        meta.put(a + "attention.head_count_kv", new GgufWriter.UInt32(shape.kvHeads()));
        meta.put(a + "attention.key_length", new GgufWriter.UInt32(shape.headDim()));
        meta.put(a + "attention.value_length", new GgufWriter.UInt32(shape.headDim()));
        meta.put(a + "rope.dimension_count", new GgufWriter.UInt32(shape.headDim()));
        meta.put(a + "rope.freq_base", (float) shape.ropeTheta());
        meta.put(a + "attention.layer_norm_rms_epsilon", 1e-6f);
        return meta;
    }

    /** llama.cpp's tensor name of an HF one (its gguf-py TensorNameMap for these families). */
    static String ggufName(String hf) {
        if (hf.equals("model.embed_tokens.weight")) return "token_embd.weight";
        if (hf.equals("model.norm.weight")) return "output_norm.weight";
        if (hf.equals("lm_head.weight")) return "output.weight";
        String rest = hf.substring("model.layers.".length());
        int dot = rest.indexOf('.');
        String layer = rest.substring(0, dot);
        String part = rest.substring(dot + 1);
        String mapped = switch (part) {
            case "input_layernorm.weight" -> "attn_norm.weight";
            case "self_attn.q_proj.weight" -> "attn_q.weight";
            case "self_attn.qkv_proj.weight" -> "attn_qkv.weight";
            case "mlp.gate_up_proj.weight" -> "ffn_up.weight";
            case "self_attn.k_proj.weight" -> "attn_k.weight";
            case "self_attn.v_proj.weight" -> "attn_v.weight";
            case "self_attn.q_proj.bias" -> "attn_q.bias";
            case "self_attn.k_proj.bias" -> "attn_k.bias";
            case "self_attn.v_proj.bias" -> "attn_v.bias";
            case "self_attn.q_norm.weight" -> "attn_q_norm.weight";
            case "self_attn.k_norm.weight" -> "attn_k_norm.weight";
            case "self_attn.o_proj.weight" -> "attn_output.weight";
            case "post_attention_layernorm.weight" -> "ffn_norm.weight";
            case "mlp.gate_proj.weight" -> "ffn_gate.weight";
            case "mlp.up_proj.weight" -> "ffn_up.weight";
            case "mlp.down_proj.weight" -> "ffn_down.weight";
            default -> throw new IllegalArgumentException("no GGUF name for " + hf);
        };
        return "blk." + layer + "." + mapped;
    }

    /**
     * convert_hf_to_gguf.py's {@code LlamaModel.permute}: {@code reshape(heads, 2, rows/heads/2, cols).swapaxes(1, 2)}, so
     * that within each head GGUF row {@code 2i + j} holds HF row {@code j·headDim/2 + i}.
     */
    static float[] permuteRopeRows(float[] hf, long[] shape, int heads) {
        int rows = (int) shape[0];
        int cols = (int) shape[1];
        int headDim = rows / heads;
        int half = headDim / 2;
        float[] out = new float[hf.length];
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < half; i++) {
                for (int j = 0; j < 2; j++) {
                    System.arraycopy(hf, (h * headDim + j * half + i) * cols, out, (h * headDim + 2 * i + j) * cols, cols);
                }
            }
        }
        return out;
    }

    /**
     * The {@code tokenizer.*} metadata of a llama.cpp vocab file with the value types llama.cpp reads (the GGUF reader
     * widens every integer to 64 bits and every float to double): ids u32, scores f32, token types i32.
     */
    static Map<String, Object> tokenizerMetadata(GgufFile vocabulary) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : vocabulary.metadata().entrySet()) {
            if (!e.getKey().startsWith("tokenizer.")) continue;
            Object v = e.getValue();
            if (v instanceof Long l) v = new GgufWriter.UInt32(l);
            else if (v instanceof Double x) v = (float) (double) x;
            else if (v instanceof List<?> list && !list.isEmpty() && list.get(0) instanceof Double) {
                v = list.stream().map(x -> (float) (double) (Double) x).toList();
            } else if (v instanceof List<?> list && !list.isEmpty() && list.get(0) instanceof Long) {
                v = list.stream().map(x -> (int) (long) (Long) x).toList();
            }
            out.put(e.getKey(), v);
        }
        return out;
    }

    private static TensorWriteSource f32(String name, long[] shape, float[] values) {
        return new TensorWriteSource(name, DType.F32, shape, out -> {
            ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(values);
            out.write(b.array());
        });
    }
}
