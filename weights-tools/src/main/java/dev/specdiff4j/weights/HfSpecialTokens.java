package dev.specdiff4j.weights;

import dev.specdiff4j.json.Json;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The special token ids and add-BOS/EOS flags of an HF folder, found where llama.cpp's converter (gguf-py's SpecialVocab) finds
 * them: a {@code TemplateProcessing} post-processor in tokenizer.json says whether BOS / EOS are added; tokenizer_config.json's
 * {@code add_<kind>_token} overrides that, and its {@code <kind>_token} names the id through tokenizer.json's added tokens;
 * config.json's {@code <kind>_token_id} fills the kinds still missing. Ids outside the vocabulary are left out.
 *
 * @param ids   GGUF key (under {@code tokenizer.ggml.}) → id, e.g. {@code bos_token_id}
 * @param flags GGUF key → value, e.g. {@code add_bos_token}
 */
record HfSpecialTokens(Map<String, Integer> ids, Map<String, Boolean> flags) {
    private static final List<String> KINDS = List.of("bos", "eos", "unk", "sep", "pad", "cls", "mask");
    private static final Map<String, String> ID_KEYS = Map.of("bos", "bos_token_id", "eos", "eos_token_id", "unk", "unknown_token_id",
            "sep", "seperator_token_id", "pad", "padding_token_id", "cls", "cls_token_id", "mask", "mask_token_id");
    private static final Map<String, String> FLAG_KEYS = Map.of("bos", "add_bos_token", "eos", "add_eos_token", "sep", "add_sep_token");

    static HfSpecialTokens read(Path folder, int vocabSize) throws IOException {
        Map<String, Object> tokenizer = json(folder.resolve("tokenizer.json"));
        Map<String, Object> tokenizerConfig = json(folder.resolve("tokenizer_config.json"));
        Map<String, Object> config = json(folder.resolve("config.json"));
        Map<String, Integer> byKind = new LinkedHashMap<>();
        Map<String, Boolean> addByKind = new LinkedHashMap<>();
        String bos = tokenizerConfig == null ? null : content(tokenizerConfig.get("bos_token"));
        String eos = tokenizerConfig == null ? null : content(tokenizerConfig.get("eos_token"));
        if (tokenizer != null && tokenizer.get("post_processor") instanceof Map<?, ?> post) {
            List<?> processors = post.get("processors") instanceof List<?> l ? l : List.of(post);
            for (Object p : processors) {
                if (!(p instanceof Map<?, ?> processor) || !"TemplateProcessing".equals(processor.get("type"))) continue;
                if (!(processor.get("single") instanceof List<?> single) || single.size() < 2) continue;
                String first = specialTokenId(single.getFirst());
                if (first != null) {
                    if (tokenizerConfig == null) bos = first;
                    addByKind.put("bos", first.equals(bos));
                }
                String last = specialTokenId(single.getLast());
                if (last != null) {
                    if (tokenizerConfig == null) eos = last;
                    addByKind.put("eos", last.equals(eos));
                }
            }
        }
        if (tokenizerConfig != null) {
            List<?> added = tokenizer != null && tokenizer.get("added_tokens") instanceof List<?> l ? l : List.of();
            for (String kind : KINDS) {
                if (tokenizerConfig.get("add_" + kind + "_token") instanceof Boolean b) addByKind.put(kind, b);
                String text = content(tokenizerConfig.get(kind + "_token"));
                if (text == null) continue;
                for (Object a : added) {
                    if (a instanceof Map<?, ?> token && text.equals(token.get("content"))) {
                        if (token.get("id") instanceof Number id) put(byKind, kind, id.longValue(), vocabSize);
                        break;
                    }
                }
            }
        }
        if (config != null) {
            for (String kind : KINDS) if (config.get(kind + "_token_id") instanceof Number id) put(byKind, kind, id.longValue(), vocabSize);
        }
        Map<String, Integer> ids = new LinkedHashMap<>();
        byKind.forEach((kind, id) -> ids.put(ID_KEYS.get(kind), id));
        Map<String, Boolean> flags = new LinkedHashMap<>();
        addByKind.forEach((kind, on) -> {
            if (FLAG_KEYS.containsKey(kind)) flags.put(FLAG_KEYS.get(kind), on);
        });
        return new HfSpecialTokens(ids, flags);
    }

    private static void put(Map<String, Integer> byKind, String kind, long id, int vocabSize) {
        if (id < 0) throw new ConversionException("the " + kind + " token id " + id + " is negative");
        if (id < vocabSize) byKind.putIfAbsent(kind, (int) id);
    }

    private static String content(Object entry) {
        if (entry instanceof String s) return s;
        if (entry instanceof Map<?, ?> m && m.get("content") instanceof String s) return s;
        return null;
    }

    private static String specialTokenId(Object templatePiece) {
        if (templatePiece instanceof Map<?, ?> m && m.get("SpecialToken") instanceof Map<?, ?> s && s.get("id") instanceof String id) return id;
        return null;
    }

    private static Map<String, Object> json(Path file) throws IOException {
        return Files.isRegularFile(file) ? Json.parseObject(Files.readString(file)) : null;
    }
}
