package dev.specdiff4j.weights;

import dev.specdiff4j.engine.io.GgufWriter;
import dev.specdiff4j.engine.io.SafetensorsWriter;
import dev.specdiff4j.engine.io.TensorSource;
import dev.specdiff4j.engine.io.TensorWriteSource;
import dev.specdiff4j.engine.model.Gpt2;
import dev.specdiff4j.engine.model.Gpt2Config;
import dev.specdiff4j.engine.model.ModelFiles;
import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.engine.tensor.Tensor;
import dev.specdiff4j.json.Json;
import dev.specdiff4j.tokenizer.BpeTokenizer;
import dev.specdiff4j.tokenizer.ByteLevel;
import dev.specdiff4j.tokenizer.HfTokenizerWriter;
import dev.specdiff4j.tokenizer.PreTokenizer;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Converts model files between HF safetensors folders and GGUF, changing dtype on the way:
 * <ul>
 *   <li>GPT-2, HF folder or GGUF → GGUF with llama.cpp's tensor names and orientation, the tokenizer as
 *       {@code tokenizer.ggml.*} metadata, and an explicit {@code output.weight};</li>
 *   <li>GPT-2, GGUF or HF folder → HF folder ({@code config.json}, {@code model.safetensors},
 *       {@code tokenizer.json});</li>
 *   <li>MDLM, HF folder → HF folder with another dtype (GGUF has no MDLM architecture);</li>
 *   <li>the Llama-layout families, HF folder or GGUF → GGUF ({@link TransformerConversion}).</li>
 * </ul>
 * Tensors are converted and written one at a time from the memory map; output goes to a temporary name
 * that is renamed only when complete, and an old output is kept until then ({@link OutputPlacement}).
 */
public final class Converter {

    /** The output format. */
    public enum Format {
        GGUF, SAFETENSORS;

        public static Format parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "gguf" -> GGUF;
                case "safetensors", "hf" -> SAFETENSORS;
                default -> throw new IllegalArgumentException("unknown output format '" + s + "': use gguf or safetensors");
            };
        }
    }

    /**
     * @param to       output format
     * @param dtype    dtype of the weight matrices, or null to keep the input's
     * @param force    overwrite an existing output
     * @param progress progress reports
     */
    public record Options(Format to, DType dtype, boolean force, ConversionProgress progress, QuantMix mix) {
        public Options {
            if (to == null) throw new IllegalArgumentException("an output format is required");
            if (progress == null) progress = ConversionProgress.NONE;
            if (mix == null) mix = QuantMix.PURE;
            if (mix != QuantMix.PURE && to != Format.GGUF) {
                throw new ConversionException(mix.name().toLowerCase(java.util.Locale.ROOT) + " is a GGUF file type; use --to gguf");
            }
        }

        /** One dtype for every weight matrix. */
        public Options(Format to, DType dtype, boolean force, ConversionProgress progress) {
            this(to, dtype, force, progress, QuantMix.PURE);
        }

        /** Options for a dtype name: f32, f16, bf16, q8_0, q4_0, q5_0, q5_1, q4_k, q5_k, q6_k, or the q4_k_m mix; null keeps the input's. */
        public static Options of(Format to, String dtype, boolean force, ConversionProgress progress) {
            if (QuantMix.isMix(dtype)) return new Options(to, DType.Q4_K, force, progress, QuantMix.Q4_K_M);
            return new Options(to, dtype == null ? null : DType.parse(dtype), force, progress);
        }
    }

    private Converter() {
    }

    /**
     * Converts IN to OUT. OUT must not be the current folder, the input or a folder above either; with
     * {@code force} an existing OUT is replaced only if it is what a conversion writes (a file for GGUF, a
     * folder of config.json / model.safetensors / tokenizer.json for safetensors), and only once the new
     * output is complete.
     */
    public static void convert(Path in, Path out, Options options) throws IOException {
        convert(in, out, options, Path.of("").toAbsolutePath(), OutputPlacement.Faults.NONE);
    }

    static void convert(Path in, Path out, Options options, Path workingFolder, OutputPlacement.Faults faults) throws IOException {
        OutputPlacement placement = OutputPlacement.prepare(in, out, options.to() == Format.SAFETENSORS, options.force(), workingFolder,
                options.progress(), faults);
        try (ModelFiles files = ModelFiles.open(in)) {
            switch (files.architecture()) {
                case GPT2 -> {
                    Gpt2Config config = Gpt2.validate(files);
                    if (options.to() == Format.GGUF) gpt2ToGguf(files, config, placement, options);
                    else gpt2ToHf(files, config, placement, options);
                }
                case MDLM -> {
                    if (options.to() == Format.GGUF) {
                        throw new ConversionException("GGUF has no MDLM architecture (llama.cpp cannot run masked-diffusion models); "
                                + "convert MDLM checkpoints to safetensors with another dtype instead");
                    }
                    copyTensorsToHf(files, placement, options);
                }
                case BLOCK_DRAFTER -> {
                    if (options.to() == Format.GGUF) {
                        throw new ConversionException("GGUF has no block-drafter architecture; convert block drafters to safetensors with another dtype instead");
                    }
                    copyTensorsToHf(files, placement, options); // the same: every tensor renamed as is, config.json copied
                }
                case LLAMA, MISTRAL, QWEN2, QWEN3, PHI3 -> {
                    if (options.to() == Format.GGUF) TransformerConversion.toGguf(files, placement, options);
                    else TransformerConversion.toHf(files, placement, options);
                }
                case UNKNOWN -> throw new ConversionException(files.unsupportedReason());
            }
        }
    }

    // ------------------------------------------------------------------------------------------ GPT-2

    private static void gpt2ToGguf(ModelFiles files, Gpt2Config config, OutputPlacement out, Options options) throws IOException {
        boolean fromGguf = files.gguf() != null;
        TensorSource t = files.tensors();
        String prefix = !fromGguf && t.find("transformer.wte.weight").isPresent() ? "transformer." : "";
        List<OutputTensor> tensors = new ArrayList<>();
        DType matrixType = null;
        for (Gpt2Layout.Entry e : Gpt2Layout.entries(config.layers())) {
            Tensor src = t.tensor(fromGguf ? e.gguf() : prefix + e.hf());
            boolean transpose = !fromGguf && e.kind() == Gpt2Layout.Kind.CONV1D;
            DType pure = options.dtype() != null ? options.dtype() : src.dtype();
            long cols = transpose ? src.shape()[0] : src.cols();
            DType dtype = e.kind() == Gpt2Layout.Kind.VECTOR ? DType.F32
                    : options.mix().typeFor(e.gguf(), cols, config.layers(), pure, src.dtype());
            if (e.kind() != Gpt2Layout.Kind.VECTOR) matrixType = pure;
            tensors.add(new OutputTensor(e.gguf(), dtype, src, transpose));
            if (e.gguf().equals("token_embd.weight")) {
                Tensor head = fromGguf ? t.find("output.weight").orElse(src) : src;
                tensors.add(new OutputTensor("output.weight", options.mix().typeFor("output.weight", head.cols(), config.layers(), pure,
                        head.dtype()), head, false));
            }
        }
        BpeTokenizer tokenizer = files.tokenizer();
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("general.architecture", "gpt2");
        meta.put("general.name", files.path().getFileName().toString());
        meta.put("general.file_type", new GgufWriter.UInt32(options.mix().fileType(matrixType)));
        if (matrixType.isQuantized()) meta.put("general.quantization_version", new GgufWriter.UInt32(2));
        meta.put("gpt2.context_length", new GgufWriter.UInt32(config.contextLength()));
        meta.put("gpt2.embedding_length", new GgufWriter.UInt32(config.dim()));
        meta.put("gpt2.feed_forward_length", new GgufWriter.UInt32(config.ffnDim()));
        meta.put("gpt2.block_count", new GgufWriter.UInt32(config.layers()));
        meta.put("gpt2.attention.head_count", new GgufWriter.UInt32(config.heads()));
        meta.put("gpt2.attention.layer_norm_epsilon", config.layerNormEps());
        putTokenizer(meta, tokenizer, config.vocabSize(), config.eosTokenId(), -1);
        List<TensorWriteSource> sources = writeSources(tensors, options.progress());
        out.writeFile(stream -> GgufWriter.write(stream, meta, sources));
    }

    /**
     * The tokenizer as llama.cpp's {@code tokenizer.ggml.*} metadata ({@code gpt2} model: byte-level BPE), padded to
     * {@code vocabSize} tokens. {@code eos} (or else {@code <|endoftext|>}) is the end of text, {@code bos} the start (the
     * end of text when negative).
     */
    static void putTokenizer(Map<String, Object> meta, BpeTokenizer tokenizer, int vocabSize, int eosTokenId, int bosTokenId) {
        int[][] merges = tokenizer.mergeList();
        if (merges == null) throw new ConversionException("a tiktoken-style tokenizer has no merge list, which GGUF needs");
        List<byte[]> tokens = tokenizer.tokens();
        Map<Integer, String> specials = new LinkedHashMap<>();
        tokenizer.specialTokens().forEach((text, id) -> specials.put(id, text));
        List<String> tokenStrings = new ArrayList<>();
        List<Integer> types = new ArrayList<>();
        for (int id = 0; id < Math.max(vocabSize, tokens.size()); id++) {
            if (specials.containsKey(id)) {
                tokenStrings.add(specials.get(id));
                types.add(3);
            } else if (id < tokens.size() && tokens.get(id) != null) {
                tokenStrings.add(ByteLevel.encode(tokens.get(id)));
                types.add(1);
            } else {
                tokenStrings.add("[PAD" + id + "]");
                types.add(5);
            }
        }
        if (tokenStrings.size() != vocabSize) {
            throw new ConversionException("the tokenizer has " + tokenStrings.size() + " tokens but the model " + vocabSize);
        }
        List<String> mergeStrings = new ArrayList<>(merges.length);
        for (int[] m : merges) mergeStrings.add(ByteLevel.encode(tokens.get(m[0])) + " " + ByteLevel.encode(tokens.get(m[1])));
        meta.put("tokenizer.ggml.model", "gpt2");
        meta.put("tokenizer.ggml.pre", preName(tokenizer.preTokenizer()));
        meta.put("tokenizer.ggml.tokens", tokenStrings);
        meta.put("tokenizer.ggml.token_type", types);
        meta.put("tokenizer.ggml.merges", mergeStrings);
        int eos = eosTokenId >= 0 ? eosTokenId : tokenizer.specialTokenId("<|endoftext|>").orElse(-1);
        int bos = bosTokenId >= 0 ? bosTokenId : eos;
        if (bos >= 0) meta.put("tokenizer.ggml.bos_token_id", new GgufWriter.UInt32(bos));
        if (eos >= 0) meta.put("tokenizer.ggml.eos_token_id", new GgufWriter.UInt32(eos));
    }

    private static String preName(PreTokenizer pre) {
        if (pre == PreTokenizer.GPT2) return "gpt-2";
        if (pre == PreTokenizer.LLAMA3) return "llama-bpe";
        if (pre == PreTokenizer.QWEN2) return "qwen2";
        throw new ConversionException("GGUF has no name for the custom pre-tokenizer pattern " + pre.regex());
    }

    private static void gpt2ToHf(ModelFiles files, Gpt2Config config, OutputPlacement out, Options options) throws IOException {
        boolean fromGguf = files.gguf() != null;
        TensorSource t = files.tensors();
        String prefix = !fromGguf && t.find("transformer.wte.weight").isPresent() ? "transformer." : "";
        if (fromGguf) {
            var head = t.find("output.weight");
            if (head.isPresent() && !sameContents(head.get(), t.tensor("token_embd.weight"))) {
                throw new ConversionException("output.weight differs from token_embd.weight: an HF GPT-2 checkpoint ties them, "
                        + "so this model cannot be written as one");
            }
        }
        List<OutputTensor> tensors = new ArrayList<>();
        for (Gpt2Layout.Entry e : Gpt2Layout.entries(config.layers())) {
            Tensor src = t.tensor(fromGguf ? e.gguf() : prefix + e.hf());
            DType dtype = safetensorsType(options.dtype() != null ? options.dtype() : src.dtype(), options.dtype() != null);
            tensors.add(new OutputTensor("transformer." + e.hf(), dtype, src, fromGguf && e.kind() == Gpt2Layout.Kind.CONV1D));
        }
        Map<String, Object> hfConfig = new LinkedHashMap<>();
        hfConfig.put("architectures", List.of("GPT2LMHeadModel"));
        hfConfig.put("model_type", "gpt2");
        hfConfig.put("activation_function", "gelu_new");
        hfConfig.put("vocab_size", config.vocabSize());
        hfConfig.put("n_positions", config.contextLength());
        hfConfig.put("n_ctx", config.contextLength());
        hfConfig.put("n_embd", config.dim());
        hfConfig.put("n_layer", config.layers());
        hfConfig.put("n_head", config.heads());
        hfConfig.put("n_inner", config.ffnDim());
        hfConfig.put("layer_norm_epsilon", (double) config.layerNormEps());
        if (config.eosTokenId() >= 0) {
            hfConfig.put("bos_token_id", config.eosTokenId());
            hfConfig.put("eos_token_id", config.eosTokenId());
        }
        hfConfig.put("tie_word_embeddings", true);
        BpeTokenizer tokenizer = tokenizerOrNull(files);
        writeHfFolder(out, options, hfConfig, tensors, tokenizer);
    }

    static BpeTokenizer tokenizerOrNull(ModelFiles files) throws IOException {
        try {
            return files.tokenizer();
        } catch (RuntimeException e) {
            return null; // a folder without a tokenizer converts without one
        }
    }

    private static boolean sameContents(Tensor a, Tensor b) {
        if (!Arrays.equals(a.shape(), b.shape())) return false;
        int cols = a.cols();
        float[] ra = new float[cols];
        float[] rb = new float[cols];
        for (int r = 0; r < a.rows(); r++) {
            a.read((long) r * cols, cols, ra, 0);
            b.read((long) r * cols, cols, rb, 0);
            if (!Arrays.equals(ra, rb)) return false;
        }
        return true;
    }

    /** Safetensors cannot hold the quantized dtypes: dequantize to F32 unless the user asked for one explicitly. */
    static DType safetensorsType(DType dtype, boolean explicit) {
        if (!dtype.isQuantized()) return dtype;
        if (explicit) throw new ConversionException("safetensors has no " + dtype + " dtype; use --to gguf, or f32 / f16 / bf16");
        return DType.F32;
    }

    // ------------------------------------------------------------------------------------------- MDLM

    private static void copyTensorsToHf(ModelFiles files, OutputPlacement out, Options options) throws IOException {
        TensorSource t = files.tensors();
        List<OutputTensor> tensors = new ArrayList<>();
        for (String name : t.names()) {
            Tensor src = t.tensor(name);
            DType dtype = safetensorsType(options.dtype() != null ? options.dtype() : src.dtype(), options.dtype() != null);
            tensors.add(new OutputTensor(name, dtype, src, false));
        }
        writeHfFolder(out, options, files.config().map(), tensors, tokenizerOrNull(files));
    }

    // ------------------------------------------------------------------------------------------ output

    static List<TensorWriteSource> writeSources(List<OutputTensor> tensors, ConversionProgress progress) {
        long total = 0;
        for (OutputTensor o : tensors) total += o.byteSize();
        AtomicLong done = new AtomicLong();
        List<TensorWriteSource> sources = new ArrayList<>();
        for (OutputTensor o : tensors) sources.add(o.toWriteSource(done, total, progress));
        return sources;
    }

    /** Writes config.json, model.safetensors and tokenizer.json (the files of {@link OutputPlacement#FOLDER_FILES}). */
    static void writeHfFolder(OutputPlacement out, Options options, Map<String, Object> config, List<OutputTensor> tensors,
                                      BpeTokenizer tokenizer) throws IOException {
        out.writeFolder(folder -> {
            Files.writeString(folder.resolve("config.json"), Json.writePretty(config) + "\n", StandardCharsets.UTF_8);
            try (OutputStream stream = new BufferedOutputStream(Files.newOutputStream(folder.resolve("model.safetensors")), 1 << 20)) {
                SafetensorsWriter.write(stream, Map.of("format", "pt", "converted_by", "specdiff4j"), writeSources(tensors, options.progress()));
            }
            if (tokenizer != null && tokenizer.mergeList() != null) HfTokenizerWriter.write(tokenizer, folder.resolve("tokenizer.json"));
        });
    }
}
