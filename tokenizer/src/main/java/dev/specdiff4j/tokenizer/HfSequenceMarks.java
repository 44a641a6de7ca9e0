package dev.specdiff4j.tokenizer;

import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Which BOS / EOS an HF tokenizer adds to a text, read as llama.cpp's converter (gguf-py's SpecialVocab) reads
 * it, so that a model run from its HF folder and from its GGUF file sees the same ids: the {@code single}
 * template of a {@code TemplateProcessing} post-processor in tokenizer.json (alone or inside a
 * {@code Sequence}) adds the special token before the text as BOS and the one after it as EOS;
 * tokenizer_config.json's {@code add_bos_token} / {@code add_eos_token}, where present, override that, with
 * {@code bos_token} / {@code eos_token} naming the token. A {@code ByteLevel} post-processor (GPT-2, Qwen)
 * adds nothing.
 */
final class HfSequenceMarks {
    private HfSequenceMarks() {
    }

    /**
     * @param tokenizerJson   tokenizer.json
     * @param tokenizerConfig tokenizer_config.json beside it, empty when there is none
     * @param idOf            a token's id by its text, null when it is no token
     */
    static SequenceMarks read(String source, Map<String, Object> tokenizerJson, Map<String, Object> tokenizerConfig,
                              Function<String, Integer> idOf) {
        int bos = -1;
        int eos = -1;
        Object post = tokenizerJson.get("post_processor");
        List<?> processors = post instanceof Map<?, ?> m && m.get("processors") instanceof List<?> l ? l
                : post == null ? List.of() : List.of(post);
        for (Object p : processors) {
            if (!(p instanceof Map<?, ?> processor) || !"TemplateProcessing".equals(processor.get("type"))) continue;
            if (!(processor.get("single") instanceof List<?> single)) {
                throw new TokenizerException(source, "post_processor TemplateProcessing has no 'single' template");
            }
            boolean seenText = false;
            for (Object piece : single) {
                if (!(piece instanceof Map<?, ?> pm)) throw new TokenizerException(source, "post_processor template holds a non-object");
                if (pm.containsKey("Sequence")) {
                    seenText = true;
                } else if (pm.get("SpecialToken") instanceof Map<?, ?> special && special.get("id") instanceof String name) {
                    int id = required(source, idOf, name, "post_processor adds");
                    if (seenText) {
                        eos = id;
                    } else {
                        bos = id;
                    }
                }
            }
        }
        if (tokenizerConfig.get("add_bos_token") instanceof Boolean add) bos = add ? configured(source, tokenizerConfig, "bos_token", idOf, bos) : -1;
        if (tokenizerConfig.get("add_eos_token") instanceof Boolean add) eos = add ? configured(source, tokenizerConfig, "eos_token", idOf, eos) : -1;
        return new SequenceMarks(bos, eos);
    }

    private static int configured(String source, Map<String, Object> config, String key, Function<String, Integer> idOf, int fromTemplate) {
        Object token = config.get(key);
        if (token instanceof Map<?, ?> m) token = m.get("content");
        if (token instanceof String name) return required(source, idOf, name, "tokenizer_config.json " + key + " is");
        if (fromTemplate >= 0) return fromTemplate;
        throw new TokenizerException(source, "tokenizer_config.json asks to add its " + key + " but names none");
    }

    private static int required(String source, Function<String, Integer> idOf, String name, String what) {
        Integer id = idOf.apply(name);
        if (id == null) throw new TokenizerException(source, what + " '" + name + "', which is not a token");
        return id;
    }
}
