package dev.specdiff4j.weights;

import dev.specdiff4j.engine.io.GgufFile;
import dev.specdiff4j.engine.io.GgufWriter;
import dev.specdiff4j.engine.io.TensorSource;
import dev.specdiff4j.engine.io.TensorWriteSource;
import dev.specdiff4j.engine.model.ModelFiles;
import dev.specdiff4j.engine.model.transformer.RopeSpec;
import dev.specdiff4j.engine.model.transformer.TransformerLoader;
import dev.specdiff4j.engine.model.transformer.TransformerSpec;
import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.engine.tensor.Tensor;
import dev.specdiff4j.tokenizer.BpeTokenizer;
import dev.specdiff4j.tokenizer.SentencePieceBpeTokenizer;
import dev.specdiff4j.tokenizer.Tokenizer;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code convert} for the Llama-layout families ({@code llama}, {@code mistral}, {@code qwen2}, {@code qwen3}, {@code phi3}):
 * <ul>
 *   <li>HF folder → GGUF as llama.cpp's convert_hf_to_gguf.py writes it: its tensor names and metadata keys, the llama/mistral
 *       q/k rows permuted for its RoPE, Llama 3 RoPE scaling as {@code rope_freqs.weight}, linear scaling as
 *       {@code rope.scaling.*}, YaRN as {@code rope.scaling.type = yarn}, the tokenizer as {@code tokenizer.ggml.*} (byte-level BPE as {@code gpt2},
 *       SentencePiece-style BPE as {@code llama}, see {@link SentencePieceGgufVocab}). Mistral is written as
 *       {@code llama} (as llama.cpp does), its context capped at the sliding window so that the window never has to cut; phi3's
 *       fused {@code qkv_proj} / {@code gate_up_proj} become llama.cpp's {@code attn_qkv} / {@code ffn_up} as they are;</li>
 *   <li>GGUF → GGUF with another dtype (or the Q4_K_M mix): every metadata entry kept, matrices re-encoded.</li>
 * </ul>
 * Norm weights, biases and RoPE factors stay F32.
 */
final class TransformerConversion {
    private TransformerConversion() {
    }

    static void toGguf(ModelFiles files, OutputPlacement out, Converter.Options options) throws IOException {
        TransformerSpec spec = TransformerLoader.validate(files);
        if (files.gguf() != null) ggufToGguf(files.gguf(), spec, out, options);
        else hfToGguf(files, spec, out, options);
    }

    static void toHf(ModelFiles files, OutputPlacement out, Converter.Options options) {
        throw new ConversionException("convert writes " + files.architecture().name().toLowerCase()
                + " models to GGUF only (--to gguf); HF folders and GGUF files of this family run as they are");
    }

    // ------------------------------------------------------------------------------------------ HF → GGUF

    private static void hfToGguf(ModelFiles files, TransformerSpec spec, OutputPlacement out, Converter.Options options) throws IOException {
        String arch = switch (files.architecture()) {
            case LLAMA, MISTRAL -> "llama";
            case QWEN2 -> "qwen2";
            case PHI3 -> "phi3";
            default -> "qwen3";
        };
        boolean permuted = arch.equals("llama");
        if (permuted && spec.qkvBias()) {
            throw new ConversionException("a llama model with q/k/v biases (attention_bias) cannot be written with llama.cpp's permuted q/k rows");
        }
        Tokenizer tokenizer = ggufTokenizer(files);
        TensorSource t = files.tensors();
        List<OutputTensor> tensors = new ArrayList<>();
        DType[] matrixType = {null};
        for (String hf : hfNames(spec, arch.equals("phi3"))) {
            Tensor src = t.tensor(hf);
            String gguf = RandomTransformers.ggufName(hf);
            if (src.shape().length == 1) {
                tensors.add(new OutputTensor(gguf, DType.F32, src, false));
                continue;
            }
            DType pure = options.dtype() != null ? options.dtype() : src.dtype();
            matrixType[0] = pure;
            DType dtype = options.mix().typeFor(gguf, src.cols(), spec.layers(), pure, src.dtype());
            if (permuted && gguf.endsWith(".attn_q.weight")) tensors.add(OutputTensor.ropePermuted(gguf, dtype, src, spec.heads()));
            else if (permuted && gguf.endsWith(".attn_k.weight")) tensors.add(OutputTensor.ropePermuted(gguf, dtype, src, spec.kvHeads()));
            else tensors.add(new OutputTensor(gguf, dtype, src, false));
        }
        double theta = files.config().numberOr("rope_theta", 10000);
        Map<String, Object> meta = new LinkedHashMap<>();
        String a = arch + ".";
        meta.put("general.architecture", arch);
        meta.put("general.name", files.path().getFileName().toString());
        meta.put("general.file_type", new GgufWriter.UInt32(options.mix().fileType(matrixType[0])));
        if (matrixType[0].isQuantized()) meta.put("general.quantization_version", new GgufWriter.UInt32(2));
        int context = spec.slidingWindow() > 0 && !arch.equals("phi3") ? Math.min(spec.contextLength(), spec.slidingWindow()) : spec.contextLength();
        if (arch.equals("phi3") && spec.slidingWindow() > 0) meta.put(a + "attention.sliding_window", new GgufWriter.UInt32(spec.slidingWindow()));
        meta.put(a + "context_length", new GgufWriter.UInt32(context));
        meta.put(a + "embedding_length", new GgufWriter.UInt32(spec.dim()));
        meta.put(a + "feed_forward_length", new GgufWriter.UInt32(spec.ffnDim()));
        meta.put(a + "block_count", new GgufWriter.UInt32(spec.layers()));
        meta.put(a + "attention.head_count", new GgufWriter.UInt32(spec.heads()));
        meta.put(a + "attention.head_count_kv", new GgufWriter.UInt32(spec.kvHeads()));
        meta.put(a + "attention.key_length", new GgufWriter.UInt32(spec.headDim()));
        meta.put(a + "attention.value_length", new GgufWriter.UInt32(spec.headDim()));
        meta.put(a + "rope.dimension_count", new GgufWriter.UInt32(spec.rope().dimensions()));
        meta.put(a + "rope.freq_base", (float) theta);
        meta.put(a + "attention.layer_norm_rms_epsilon", spec.normEps());
        putRopeScaling(meta, tensors, files, spec, arch, theta);
        if (tokenizer instanceof SentencePieceBpeTokenizer spm) {
            SentencePieceGgufVocab.put(meta, spm, files.path(), spec.vocabSize());
        } else {
            Converter.putTokenizer(meta, (BpeTokenizer) tokenizer, spec.vocabSize(), spec.eosTokenId(), files.config().integerOr("bos_token_id", -1));
        }
        List<TensorWriteSource> sources = Converter.writeSources(tensors, options.progress());
        out.writeFile(stream -> GgufWriter.write(stream, meta, sources));
    }

    /**
     * RoPE scaling as llama.cpp reads it: YaRN as {@code rope.scaling.type = yarn} with its factor, original context and (when
     * not the default) attention factor; Llama 3's per-frequency factors as {@code rope_freqs.weight} (llama only); linear
     * scaling as {@code rope.scaling.type = linear}.
     */
    private static void putRopeScaling(Map<String, Object> meta, List<OutputTensor> tensors, ModelFiles files, TransformerSpec spec,
                                       String arch, double theta) {
        String a = arch + ".";
        var config = files.config();
        var scaling = config.has("rope_scaling") ? config.object("rope_scaling") : null;
        String type = scaling == null ? "default" : scaling.stringOr("rope_type", scaling.stringOr("type", "default"));
        if (type.equals("yarn")) {
            double factor = scaling.number("factor");
            meta.put(a + "rope.scaling.type", "yarn");
            meta.put(a + "rope.scaling.factor", (float) factor);
            meta.put(a + "rope.scaling.original_context_length",
                    new GgufWriter.UInt32((long) scaling.numberOr("original_max_position_embeddings", config.integerOr("max_position_embeddings", 2048))));
            double attention = spec.rope().attentionFactor() / RopeSpec.yarnAttentionFactor(factor);
            if (attention != 1) meta.put(a + "rope.scaling.attn_factor", (float) attention);
            if (scaling.has("beta_fast")) meta.put(a + "rope.scaling.yarn_beta_fast", (float) scaling.number("beta_fast"));
            if (scaling.has("beta_slow")) meta.put(a + "rope.scaling.yarn_beta_slow", (float) scaling.number("beta_slow"));
            return;
        }
        float[] factors = ropeFactors(spec.rope(), theta);
        if (factors == null) return;
        if (allEqual(factors)) {
            meta.put(a + "rope.scaling.type", "linear");
            meta.put(a + "rope.scaling.factor", factors[0]);
        } else if (arch.equals("llama")) {
            tensors.add(new OutputTensor("rope_freqs.weight", DType.F32,
                    Tensor.of("rope_freqs.weight", DType.F32, new long[] {factors.length}, factors, Arena.ofAuto()), false));
        } else {
            throw new ConversionException("llama.cpp reads per-frequency RoPE factors (rope_freqs.weight) for llama models only, not " + arch);
        }
    }

    /** The HF tensor names of a spec, in llama.cpp's order. */
    private static List<String> hfNames(TransformerSpec spec, boolean fused) {
        List<String> names = new ArrayList<>();
        names.add("model.embed_tokens.weight");
        for (int l = 0; l < spec.layers(); l++) {
            String b = "model.layers." + l + ".";
            if (fused) {
                names.addAll(List.of(b + "input_layernorm.weight", b + "self_attn.qkv_proj.weight", b + "self_attn.o_proj.weight",
                        b + "post_attention_layernorm.weight", b + "mlp.gate_up_proj.weight", b + "mlp.down_proj.weight"));
                continue;
            }
            names.add(b + "input_layernorm.weight");
            for (String p : List.of("q", "k", "v")) {
                names.add(b + "self_attn." + p + "_proj.weight");
                if (spec.qkvBias()) names.add(b + "self_attn." + p + "_proj.bias");
            }
            if (spec.qkNorm()) {
                names.add(b + "self_attn.q_norm.weight");
                names.add(b + "self_attn.k_norm.weight");
            }
            names.add(b + "self_attn.o_proj.weight");
            names.add(b + "post_attention_layernorm.weight");
            names.add(b + "mlp.gate_proj.weight");
            names.add(b + "mlp.up_proj.weight");
            names.add(b + "mlp.down_proj.weight");
        }
        names.add("model.norm.weight");
        if (!spec.tiedOutput()) names.add("lm_head.weight");
        return names;
    }

    /** Per-pair divisors of the plain frequencies ({@code θ^(−2i/d)} ÷ the spec's), or null when there is no scaling. */
    static float[] ropeFactors(RopeSpec rope, double theta) {
        double[] plain = RopeSpec.of(rope.dimensions(), theta).inverseFrequency();
        double[] scaled = rope.inverseFrequency();
        float[] factors = new float[plain.length];
        boolean any = false;
        for (int i = 0; i < plain.length; i++) {
            factors[i] = (float) (plain[i] / scaled[i]);
            any |= factors[i] != 1f;
        }
        return any ? factors : null;
    }

    private static boolean allEqual(float[] v) {
        for (float x : v) if (x != v[0]) return false;
        return true;
    }

    /** A byte-level BPE tokenizer (Llama 3, Qwen) or a SentencePiece-style one (Llama 2, Mistral, TinyLlama). */
    private static Tokenizer ggufTokenizer(ModelFiles files) throws IOException {
        Tokenizer any;
        try {
            any = files.anyTokenizer();
        } catch (RuntimeException e) {
            throw new ConversionException(files.path() + " has no tokenizer the GGUF file could carry (" + e.getMessage() + ")");
        }
        if (any instanceof BpeTokenizer bpe && bpe.mergeList() != null) return bpe;
        if (any instanceof SentencePieceBpeTokenizer spm) return spm;
        throw new ConversionException(files.path() + " holds a " + any.describe()
                + "; convert writes byte-level BPE (with merges) and SentencePiece-style BPE tokenizers to GGUF");
    }

    // ------------------------------------------------------------------------------------------ GGUF → GGUF

    private static void ggufToGguf(GgufFile g, TransformerSpec spec, OutputPlacement out, Converter.Options options) throws IOException {
        List<OutputTensor> tensors = new ArrayList<>();
        DType matrixType = null;
        for (String name : g.names()) {
            Tensor src = g.tensor(name);
            if (src.shape().length == 1) {
                tensors.add(new OutputTensor(name, src.dtype(), src, false));
                continue;
            }
            DType pure = options.dtype() != null ? options.dtype() : src.dtype();
            matrixType = pure;
            tensors.add(new OutputTensor(name, options.mix().typeFor(name, src.cols(), spec.layers(), pure, src.dtype()), src, false));
        }
        Map<String, Object> meta = GgufMetadataTypes.narrowed(g.metadata());
        meta.put("general.file_type", new GgufWriter.UInt32(options.mix().fileType(matrixType)));
        if (matrixType.isQuantized()) meta.put("general.quantization_version", new GgufWriter.UInt32(2));
        List<TensorWriteSource> sources = Converter.writeSources(tensors, options.progress());
        out.writeFile(stream -> GgufWriter.write(stream, meta, sources));
    }
}
