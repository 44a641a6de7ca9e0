package dev.specdiff4j.chat;

import dev.specdiff4j.engine.io.GgufFile;
import dev.specdiff4j.engine.model.ModelFiles;
import dev.specdiff4j.json.Json;
import dev.specdiff4j.json.JsonException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Finds a model's chat template where the model keeps it: the GGUF key {@code tokenizer.chat_template} (with
 * the start and end tokens named by {@code tokenizer.ggml.bos_token_id}/{@code eos_token_id}), or in an HF
 * folder {@code chat_template.jinja} or the {@code chat_template} of {@code tokenizer_config.json} (a string,
 * or a list of named templates of which "default" is taken), with its {@code bos_token} and {@code eos_token}.
 */
public final class ChatTemplates {
    static final String GGUF_KEY = "tokenizer.chat_template";

    private ChatTemplates() {
    }

    /** The template of an opened model, if it has one. */
    public static Optional<ChatTemplate> of(ModelFiles files) throws IOException {
        if (files.gguf() != null) return fromGguf(files.gguf());
        return fromFolder(files.path());
    }

    /** The template of a model file or folder, if it has one. */
    public static Optional<ChatTemplate> find(Path model) throws IOException {
        if (Files.isRegularFile(model) && model.getFileName().toString().endsWith(".gguf")) {
            try (GgufFile gguf = GgufFile.open(model)) {
                return fromGguf(gguf);
            }
        }
        return fromFolder(Files.isDirectory(model) ? model : model.toAbsolutePath().getParent());
    }

    private static Optional<ChatTemplate> fromGguf(GgufFile gguf) {
        Map<String, Object> m = gguf.metadata();
        Object source = m.get(GGUF_KEY);
        if (source == null) return Optional.empty();
        String origin = gguf.path() + " (" + GGUF_KEY + ")";
        if (!(source instanceof String s)) throw new ChatTemplateException(origin + " is not a string");
        return Optional.of(new ChatTemplate(s, tokenText(m, "tokenizer.ggml.bos_token_id"), tokenText(m, "tokenizer.ggml.eos_token_id"), origin));
    }

    private static String tokenText(Map<String, Object> m, String key) {
        if (!(m.get(key) instanceof Number id) || !(m.get("tokenizer.ggml.tokens") instanceof List<?> tokens)) return "";
        int i = id.intValue();
        return i >= 0 && i < tokens.size() && tokens.get(i) instanceof String s ? s : "";
    }

    private static Optional<ChatTemplate> fromFolder(Path folder) throws IOException {
        Path configFile = folder.resolve("tokenizer_config.json");
        Map<String, Object> config = Map.of();
        if (Files.isRegularFile(configFile)) {
            try {
                config = Json.parseObject(Files.readString(configFile, StandardCharsets.UTF_8));
            } catch (JsonException e) {
                throw new ChatTemplateException(configFile + " is not valid JSON: " + e.getMessage());
            }
        }
        String bos = tokenText(config.get("bos_token"));
        String eos = tokenText(config.get("eos_token"));
        Path jinjaFile = folder.resolve("chat_template.jinja");
        if (Files.isRegularFile(jinjaFile)) {
            return Optional.of(new ChatTemplate(Files.readString(jinjaFile, StandardCharsets.UTF_8), bos, eos, jinjaFile.toString()));
        }
        Object source = config.get("chat_template");
        if (source == null) return Optional.empty();
        String origin = configFile + " (chat_template)";
        if (source instanceof String s) return Optional.of(new ChatTemplate(s, bos, eos, origin));
        if (source instanceof List<?> named) {
            for (Object o : named) {
                if (o instanceof Map<?, ?> entry && "default".equals(entry.get("name")) && entry.get("template") instanceof String s) {
                    return Optional.of(new ChatTemplate(s, bos, eos, configFile + " (chat_template 'default')"));
                }
            }
            throw new ChatTemplateException(origin + " lists named templates but none named 'default'");
        }
        throw new ChatTemplateException(origin + " is neither a string nor a list of named templates");
    }

    /** A special token in tokenizer_config.json: a string, or an object whose "content" is the text. */
    private static String tokenText(Object token) {
        if (token instanceof String s) return s;
        if (token instanceof Map<?, ?> m && m.get("content") instanceof String s) return s;
        return "";
    }
}
