package dev.specdiff4j.tokenizer;

import dev.specdiff4j.json.Json;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Writes a byte-level BPE tokenizer as an HF {@code tokenizer.json} that HF tokenizers can load too. */
public final class HfTokenizerWriter {
    private HfTokenizerWriter() {
    }

    public static String toJson(BpeTokenizer tokenizer) {
        int[][] merges = tokenizer.mergeList();
        if (merges == null) {
            throw new IllegalArgumentException("a tiktoken-style vocabulary has no merge list to write as tokenizer.json");
        }
        List<byte[]> tokens = tokenizer.tokens();
        Map<String, Object> vocab = new LinkedHashMap<>();
        for (int id = 0; id < tokens.size(); id++) {
            if (tokens.get(id) != null) vocab.put(ByteLevel.encode(tokens.get(id)), id);
        }
        List<Object> mergeStrings = new ArrayList<>(merges.length);
        for (int[] m : merges) mergeStrings.add(ByteLevel.encode(tokens.get(m[0])) + " " + ByteLevel.encode(tokens.get(m[1])));
        List<Object> added = new ArrayList<>();
        tokenizer.specialTokens().forEach((content, id) -> {
            added.add(addedToken(id, content));
        });
        Map<String, Object> byteLevel = new LinkedHashMap<>();
        byteLevel.put("type", "ByteLevel");
        byteLevel.put("add_prefix_space", false);
        byteLevel.put("trim_offsets", true);
        byteLevel.put("use_regex", true);
        Object preTokenizer = byteLevel;
        if (tokenizer.preTokenizer() != PreTokenizer.GPT2) {
            Map<String, Object> split = new LinkedHashMap<>();
            split.put("type", "Split");
            split.put("pattern", Map.of("Regex", tokenizer.preTokenizer().regex()));
            split.put("behavior", "Isolated");
            split.put("invert", false);
            Map<String, Object> plainByteLevel = new LinkedHashMap<>(byteLevel);
            plainByteLevel.put("use_regex", false);
            Map<String, Object> sequence = new LinkedHashMap<>();
            sequence.put("type", "Sequence");
            sequence.put("pretokenizers", List.of(split, plainByteLevel));
            preTokenizer = sequence;
        }
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("type", "BPE");
        model.put("dropout", null);
        model.put("unk_token", null);
        model.put("continuing_subword_prefix", "");
        model.put("end_of_word_suffix", "");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("vocab", vocab);
        model.put("merges", mergeStrings);
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("version", "1.0");
        root.put("truncation", null);
        root.put("padding", null);
        root.put("added_tokens", added);
        root.put("normalizer", null);
        root.put("pre_tokenizer", preTokenizer);
        root.put("post_processor", null);
        Map<String, Object> decoder = new LinkedHashMap<>(byteLevel);
        root.put("decoder", decoder);
        root.put("model", model);
        return Json.writePretty(root) + "\n";
    }

    /** A special token's entry in tokenizer.json's {@code added_tokens}, as HF's tokenizers write it. */
    public static Map<String, Object> addedToken(int id, String content) {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("id", id);
        t.put("content", content);
        t.put("single_word", false);
        t.put("lstrip", false);
        t.put("rstrip", false);
        t.put("normalized", false);
        t.put("special", true);
        return t;
    }

    /** Writes atomically: a temporary file in the same folder, renamed when complete. */
    public static void write(BpeTokenizer tokenizer, Path file) throws IOException {
        Path absolute = file.toAbsolutePath();
        Path tmp = absolute.resolveSibling(absolute.getFileName() + ".tmp");
        Files.writeString(tmp, toJson(tokenizer), StandardCharsets.UTF_8);
        Files.move(tmp, absolute, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
