package dev.specdiff4j.engine.model;

import dev.specdiff4j.engine.io.GgufFile;
import dev.specdiff4j.engine.io.SafetensorsCheckpoint;
import dev.specdiff4j.engine.io.TensorSource;
import dev.specdiff4j.json.Json;
import dev.specdiff4j.json.JsonException;
import dev.specdiff4j.json.JsonFields;
import dev.specdiff4j.tokenizer.BpeTokenizer;
import dev.specdiff4j.tokenizer.Tokenizer;
import dev.specdiff4j.tokenizer.Tokenizers;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * An opened model: an HF folder ({@code config.json} + safetensors, maybe sharded) or a GGUF file, with
 * its architecture recognised. Closing it unmaps the weight files.
 */
public final class ModelFiles implements AutoCloseable {
    /** The architectures specdiff4j knows. */
    public enum Architecture {
        GPT2, MDLM,
        /** A target-conditioned block-diffusion drafter (specdiff4j's own layout). */
        BLOCK_DRAFTER,
        /** Llama 2/3, SmolLM2, TinyLlama; llama.cpp files Mistral 7B under this name too. */
        LLAMA,
        /** Llama's layout with a sliding window. */
        MISTRAL,
        /** Llama's layout with q/k/v biases and GPT-NeoX RoPE (Qwen 2, Qwen 2.5). */
        QWEN2,
        /** Qwen 2 without the biases and with per-head QK-norm. */
        QWEN3,
        /** Llama's layout with fused q/k/v ({@code qkv_proj}) and gate/up ({@code gate_up_proj}) projections (Phi-3). */
        PHI3,
        UNKNOWN;

        /** Whether {@code dev.specdiff4j.engine.model.transformer.TransformerLoader} runs it. */
        public boolean isTransformerFamily() {
            return this == LLAMA || this == MISTRAL || this == QWEN2 || this == QWEN3 || this == PHI3;
        }

        /** The family of a GGUF {@code general.architecture} or an HF {@code model_type}, or UNKNOWN. */
        static Architecture named(Object name) {
            if (!(name instanceof String s)) return UNKNOWN;
            return switch (s) {
                case "gpt2" -> GPT2;
                case "mdlm" -> MDLM;
                case "block_drafter" -> BLOCK_DRAFTER;
                case "llama" -> LLAMA;
                case "mistral" -> MISTRAL;
                case "qwen2" -> QWEN2;
                case "qwen3" -> QWEN3;
                case "phi3" -> PHI3;
                default -> UNKNOWN;
            };
        }
    }

    private final Path path;
    private final Architecture architecture;
    private final JsonFields config;
    private final TensorSource tensors;
    private final GgufFile gguf;
    private final String unsupportedReason;

    private ModelFiles(Path path, Recognised recognised, JsonFields config, TensorSource tensors, GgufFile gguf) {
        this.path = path;
        this.architecture = recognised.architecture();
        this.unsupportedReason = recognised.unsupportedReason();
        this.config = config;
        this.tensors = tensors;
        this.gguf = gguf;
    }

    /** The architecture found, and for UNKNOWN one sentence saying why the files cannot be run. */
    private record Recognised(Architecture architecture, String unsupportedReason) {
    }

    private static final String SUPPORTED = "this build runs gpt2, llama, mistral, qwen2, qwen3 and phi3 (targets and AR drafters), "
            + "mdlm (diffusion drafter) and block_drafter (target-conditioned drafter)";

    public static ModelFiles open(Path path) throws IOException {
        if (!Files.exists(path)) throw new NoSuchFileException(path.toString());
        if (Files.isRegularFile(path) && (path.getFileName().toString().endsWith(".gguf") || startsWithGgufMagic(path))) {
            GgufFile gguf = GgufFile.open(path);
            Object arch = gguf.metadata().get("general.architecture");
            Architecture named = Architecture.named(arch);
            Recognised recognised = named != Architecture.UNKNOWN && named != Architecture.MDLM ? new Recognised(named, null)
                    : new Recognised(Architecture.UNKNOWN, arch instanceof String name
                            ? "general.architecture '" + name + "' is not supported; " + SUPPORTED
                            : path + " has no general.architecture, so specdiff4j does not know its layout; " + SUPPORTED);
            return new ModelFiles(path, recognised, null, gguf, gguf);
        }
        if (Files.isRegularFile(path) && !isFileOfAnHfFolder(path)) {
            throw new ModelFormatException(path + " is not a model: give an HF model folder (config.json and .safetensors files) "
                    + "or a .gguf file");
        }
        Path folder = Files.isDirectory(path) ? path : path.toAbsolutePath().getParent();
        Path configFile = folder.resolve("config.json");
        if (!Files.isRegularFile(configFile)) {
            throw new ModelFormatException(folder + " has no config.json (an HF model folder needs one; or give a .gguf file)");
        }
        JsonFields config = readConfig(configFile);
        TensorSource tensors = SafetensorsCheckpoint.open(path);
        return new ModelFiles(folder, recognise(folder, config, tensors), config, tensors, null);
    }

    private static boolean isFileOfAnHfFolder(Path file) {
        String name = file.getFileName().toString();
        return name.equals("config.json") || name.endsWith(".safetensors") || name.endsWith(".safetensors.index.json");
    }

    private static boolean startsWithGgufMagic(Path file) throws IOException {
        try (var in = Files.newInputStream(file)) {
            byte[] magic = in.readNBytes(4);
            return new String(magic, StandardCharsets.ISO_8859_1).equals("GGUF");
        }
    }

    private static JsonFields readConfig(Path configFile) throws IOException {
        String text;
        try {
            text = Files.readString(configFile, StandardCharsets.UTF_8);
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new ModelFormatException(configFile + " is not valid UTF-8 JSON (it holds bytes that are not UTF-8 text)");
        }
        try {
            return new JsonFields(configFile.toString(), Json.parseObject(text));
        } catch (JsonException e) {
            throw new ModelFormatException(configFile + " is not valid JSON: " + e.getMessage());
        }
    }

    private static Recognised recognise(Path folder, JsonFields config, TensorSource tensors) {
        if (config.has("model_type")) {
            Object type = config.raw("model_type");
            Architecture named = Architecture.named(type);
            if (named != Architecture.UNKNOWN) return new Recognised(named, null);
            return new Recognised(Architecture.UNKNOWN, "model_type '" + type + "' is not supported; " + SUPPORTED);
        }
        List<String> names = tensors.names();
        if (names.stream().anyMatch(n -> n.endsWith("attn.c_attn.weight"))) return new Recognised(Architecture.GPT2, null);
        if (names.stream().anyMatch(n -> n.startsWith("backbone.blocks."))) return new Recognised(Architecture.MDLM, null);
        return new Recognised(Architecture.UNKNOWN, folder + " is neither a GPT-2 nor an MDLM model (its config.json has no model_type "
                + "and its tensor names are not GPT-2's or MDLM's); " + SUPPORTED);
    }

    public Path path() {
        return path;
    }

    public Architecture architecture() {
        return architecture;
    }

    /** For an UNKNOWN architecture, one sentence saying why specdiff4j cannot run these files; otherwise null. */
    public String unsupportedReason() {
        return unsupportedReason;
    }

    /** The HF config.json, or null for a GGUF file. */
    public JsonFields config() {
        return config;
    }

    public TensorSource tensors() {
        return tensors;
    }

    /** The GGUF file, or null for an HF folder. */
    public GgufFile gguf() {
        return gguf;
    }

    /** The byte-level BPE tokenizer beside the weights (HF folder) or inside them (GGUF), if there is one. */
    public BpeTokenizer tokenizer() throws IOException {
        Tokenizer t = anyTokenizer();
        if (t instanceof BpeTokenizer bpe) return bpe;
        throw new ModelFormatException(path + " holds a " + t.describe() + ", not a byte-level BPE tokenizer");
    }

    /** The tokenizer beside the weights (HF folder) or inside them (GGUF), of any supported kind. */
    public Tokenizer anyTokenizer() throws IOException {
        if (gguf != null) {
            if (!gguf.metadata().containsKey("tokenizer.ggml.tokens")) {
                throw new ModelFormatException(path + " holds no tokenizer (tokenizer.ggml.tokens)");
            }
            return Tokenizers.fromGgufMetadata(path.toString(), gguf.metadata());
        }
        return Tokenizers.loadAny(path);
    }

    @Override
    public void close() {
        tensors.close();
    }
}
