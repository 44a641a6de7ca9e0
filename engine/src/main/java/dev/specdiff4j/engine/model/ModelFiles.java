package dev.specdiff4j.engine.model;

import dev.specdiff4j.engine.io.GgufFile;
import dev.specdiff4j.engine.io.SafetensorsCheckpoint;
import dev.specdiff4j.engine.io.TensorSource;
import dev.specdiff4j.json.Json;
import dev.specdiff4j.json.JsonException;
import dev.specdiff4j.json.JsonFields;
import dev.specdiff4j.tokenizer.BpeTokenizer;
import dev.specdiff4j.tokenizer.Tokenizers;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
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
        GPT2, MDLM, UNKNOWN
    }

    private final Path path;
    private final Architecture architecture;
    private final JsonFields config;
    private final TensorSource tensors;
    private final GgufFile gguf;

    private ModelFiles(Path path, Architecture architecture, JsonFields config, TensorSource tensors, GgufFile gguf) {
        this.path = path;
        this.architecture = architecture;
        this.config = config;
        this.tensors = tensors;
        this.gguf = gguf;
    }

    public static ModelFiles open(Path path) throws IOException {
        if (!Files.exists(path)) throw new java.nio.file.NoSuchFileException(path.toString());
        if (Files.isRegularFile(path) && path.getFileName().toString().endsWith(".gguf")) {
            GgufFile gguf = GgufFile.open(path);
            Object arch = gguf.metadata().get("general.architecture");
            Architecture a = "gpt2".equals(arch) ? Architecture.GPT2 : Architecture.UNKNOWN;
            return new ModelFiles(path, a, null, gguf, gguf);
        }
        Path folder = Files.isDirectory(path) ? path : path.toAbsolutePath().getParent();
        Path configFile = folder.resolve("config.json");
        if (!Files.isRegularFile(configFile)) {
            throw new ModelFormatException(folder + " has no config.json (an HF model folder needs one; or give a .gguf file)");
        }
        JsonFields config;
        try {
            config = new JsonFields(configFile.toString(), Json.parseObject(Files.readString(configFile, StandardCharsets.UTF_8)));
        } catch (JsonException e) {
            throw new ModelFormatException(configFile + " is not valid JSON: " + e.getMessage());
        }
        TensorSource tensors = SafetensorsCheckpoint.open(path);
        return new ModelFiles(folder, recognise(config, tensors), config, tensors, null);
    }

    private static Architecture recognise(JsonFields config, TensorSource tensors) {
        String type = config.has("model_type") && config.raw("model_type") instanceof String s ? s : "";
        List<String> names = tensors.names();
        if (type.equals("gpt2") || names.stream().anyMatch(n -> n.endsWith("attn.c_attn.weight"))) return Architecture.GPT2;
        if (type.equals("mdlm") || names.stream().anyMatch(n -> n.startsWith("backbone.blocks."))) return Architecture.MDLM;
        return Architecture.UNKNOWN;
    }

    public Path path() {
        return path;
    }

    public Architecture architecture() {
        return architecture;
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

    /** The tokenizer beside the weights (HF folder) or inside them (GGUF), if there is one. */
    public BpeTokenizer tokenizer() throws IOException {
        if (gguf != null) {
            Map<String, Object> m = gguf.metadata();
            if (!m.containsKey("tokenizer.ggml.tokens")) throw new ModelFormatException(path + " holds no tokenizer (tokenizer.ggml.tokens)");
            List<String> tokens = strings(m.get("tokenizer.ggml.tokens"), "tokenizer.ggml.tokens");
            List<String> merges = m.containsKey("tokenizer.ggml.merges") ? strings(m.get("tokenizer.ggml.merges"), "tokenizer.ggml.merges") : null;
            int[] types = null;
            if (m.get("tokenizer.ggml.token_type") instanceof List<?> list) {
                types = new int[list.size()];
                for (int i = 0; i < types.length; i++) types[i] = ((Number) list.get(i)).intValue();
            }
            return Tokenizers.fromGguf(path.toString(), (String) m.get("tokenizer.ggml.model"), tokens, merges, types,
                    m.get("tokenizer.ggml.pre") instanceof String s ? s : null);
        }
        return Tokenizers.load(path);
    }

    private List<String> strings(Object value, String key) {
        if (!(value instanceof List<?> list)) throw new ModelFormatException(path + ": metadata '" + key + "' is not an array");
        List<String> out = new ArrayList<>(list.size());
        for (Object o : list) {
            if (!(o instanceof String s)) throw new ModelFormatException(path + ": metadata '" + key + "' holds a non-string");
            out.add(s);
        }
        return out;
    }

    @Override
    public void close() {
        tensors.close();
    }
}
