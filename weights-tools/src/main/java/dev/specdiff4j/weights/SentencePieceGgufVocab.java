package dev.specdiff4j.weights;

import dev.specdiff4j.engine.io.GgufWriter;
import dev.specdiff4j.json.Json;
import dev.specdiff4j.tokenizer.SentencePieceBpeTokenizer;

import java.io.IOException;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A SentencePiece-style BPE tokenizer (an HF tokenizer.json with {@code byte_fallback}) as llama.cpp's {@code "llama"} GGUF
 * vocabulary, as its converter writes one for Llama 2 / Mistral / TinyLlama: {@code tokenizer.ggml.model = "llama"},
 * {@code pre = "default"}, the pieces by id (padded to the model's vocabulary with {@code [PADn]}, type unused, score -1000),
 * the token types (normal, unknown, control, user-defined, byte) and scores; the special ids and BOS/EOS flags as {@link #putSpecials}
 * finds them.
 *
 * <p>llama.cpp merges the adjacent pair whose joined text is a token of the highest score, where tokenizer.json merges the pair
 * of the lowest rank. The scores written here, minus the first rank that makes each token, order the merges the same way
 * whenever (as in every tokenizer.json HF's converter makes from a SentencePiece model) every split of a token into two
 * tokens is a merge and the merges making one token are consecutive; a tokenizer.json that breaks either rule is refused,
 * naming the piece. (llama.cpp's own converter writes -1000 for every piece when it reads only tokenizer.json, which
 * llama.cpp then merges leftmost-first, not as the tokenizer.json does.) Also refused: pieces that are not valid Unicode
 * (the converter cannot encode them as UTF-8), byte pieces not written {@code <0xNN>} with upper-case hex (llama.cpp looks
 * them up that way), and a Metaspace pre-tokenizer that splits words (llama.cpp's tokenizer does not).
 */
final class SentencePieceGgufVocab {
    private static final String[] KINDS = {"bos", "eos", "unk", "sep", "pad", "cls", "mask"};
    private static final String[] ID_KEYS = {"bos", "eos", "unknown", "seperator", "padding", "cls", "mask"};

    private SentencePieceGgufVocab() {
    }

    static void put(Map<String, Object> meta, SentencePieceBpeTokenizer tokenizer, Path folder, int vocabSize) throws IOException {
        SentencePieceBpeTokenizer.Spec spec = tokenizer.spec();
        String[] pieces = spec.pieces();
        if (spec.splitOnSpace()) throw refused(spec, "splits words (Metaspace split: true)");
        if (pieces.length > vocabSize) throw refused(spec, "has " + pieces.length + " tokens, the model " + vocabSize);
        List<String> tokens = new ArrayList<>(vocabSize);
        List<Float> scores = new ArrayList<>(vocabSize);
        List<Integer> types = new ArrayList<>(vocabSize);
        float[] score = spec.scores() != null ? spec.scores() : scoresFromMerges(spec);
        for (int id = 0; id < vocabSize; id++) {
            boolean real = id < pieces.length;
            String piece = real ? pieces[id] : "[PAD" + id + "]";
            int type = real ? spec.types()[id] : SentencePieceBpeTokenizer.UNUSED;
            if (!StandardCharsets.UTF_8.newEncoder().canEncode(piece)) {
                StringBuilder hex = new StringBuilder();
                for (char c : piece.toCharArray()) hex.append(Character.isSurrogate(c) ? String.format("\\u%04X", (int) c) : c);
                throw refused(spec, "token " + id + " '" + hex + "' has no UTF-8 bytes");
            }
            if (type == SentencePieceBpeTokenizer.BYTE && !piece.equals(piece.toUpperCase().replace("0X", "0x"))) {
                throw refused(spec, "byte token '" + piece + "' is not " + piece.toUpperCase().replace("0X", "0x"));
            }
            tokens.add(piece);
            scores.add(real ? score[id] : -1000f);
            types.add(type);
        }
        meta.put("tokenizer.ggml.model", "llama");
        meta.put("tokenizer.ggml.pre", "default");
        meta.put("tokenizer.ggml.tokens", tokens);
        meta.put("tokenizer.ggml.scores", scores);
        meta.put("tokenizer.ggml.token_type", types);
        putSpecials(meta, folder, vocabSize);
        if (!spec.addSpacePrefix()) meta.put("tokenizer.ggml.add_space_prefix", false); // llama.cpp's default is true
    }

    private static ConversionException refused(SentencePieceBpeTokenizer.Spec spec, String why) {
        return new ConversionException(spec.source() + " " + why + ": llama.cpp's \"llama\" vocabulary cannot hold that");
    }

    /**
     * Scores that make llama.cpp's merge order the tokenizer.json's: minus the first rank that makes each token, 0 for tokens
     * no merge makes.
     */
    static float[] scoresFromMerges(SentencePieceBpeTokenizer.Spec spec) {
        String[] pieces = spec.pieces();
        Map<String, Integer> idOf = new HashMap<>(pieces.length * 2);
        for (int id = 0; id < pieces.length; id++) idOf.putIfAbsent(pieces[id], id);
        int[][] merges = spec.merges();
        float[] scores = new float[pieces.length];
        boolean[] made = new boolean[pieces.length];
        Set<Long> pairs = new HashSet<>(merges.length * 2);
        int previous = -1;
        for (int rank = 0; rank < merges.length; rank++) {
            pairs.add((long) merges[rank][0] << 32 | merges[rank][1]);
            int id = idOf.get(pieces[merges[rank][0]] + pieces[merges[rank][1]]);
            if (!made[id]) {
                made[id] = true;
                scores[id] = -rank;
            } else if (id != previous) {
                throw refused(spec, "merges into '" + pieces[id] + "' at ranks apart (" + rank + ")");
            }
            previous = id;
        }
        for (int id = 0; id < pieces.length; id++) {
            String piece = pieces[id];
            for (int i = 1; i < piece.length(); i++) {
                if (Character.isLowSurrogate(piece.charAt(i))) continue;
                Integer left = idOf.get(piece.substring(0, i));
                Integer right = idOf.get(piece.substring(i));
                if (left != null && right != null && !pairs.contains((long) left << 32 | right)) {
                    throw refused(spec, "has no merge for '" + piece + "' = '" + pieces[left] + "' + '" + pieces[right] + "'");
                }
            }
        }
        return scores;
    }

    /**
     * The special ids and add-BOS/EOS flags, found where llama.cpp's converter (gguf-py's SpecialVocab) finds them: a
     * {@code TemplateProcessing} post-processor in tokenizer.json says whether BOS / EOS are added; tokenizer_config.json's
     * {@code add_<kind>_token} overrides that, and its {@code <kind>_token} names the id through tokenizer.json's added tokens;
     * config.json's {@code <kind>_token_id} fills the kinds still missing. Ids outside the vocabulary are left out.
     */
    static void putSpecials(Map<String, Object> meta, Path folder, int vocabSize) throws IOException {
        Map<?, ?> tokenizer = json(folder.resolve("tokenizer.json"));
        Map<?, ?> tokenizerConfig = json(folder.resolve("tokenizer_config.json"));
        Map<?, ?> config = json(folder.resolve("config.json"));
        Object[] add = new Object[KINDS.length];
        Object bos = content(tokenizerConfig.get("bos_token"));
        Object eos = content(tokenizerConfig.get("eos_token"));
        Object post = tokenizer.get("post_processor");
        for (Object p : post instanceof Map<?, ?> m && m.get("processors") instanceof List<?> l ? l : List.of(post == null ? Map.of() : post)) {
            if (p instanceof Map<?, ?> processor && "TemplateProcessing".equals(processor.get("type"))
                    && processor.get("single") instanceof List<?> single && single.size() > 1) {
                Object first = specialTokenId(single.getFirst());
                Object last = specialTokenId(single.getLast());
                if (tokenizerConfig.isEmpty()) {
                    bos = first;
                    eos = last;
                }
                if (first != null) add[0] = first.equals(bos);
                if (last != null) add[1] = last.equals(eos);
            }
        }
        for (int k = 0; k < KINDS.length; k++) {
            if (tokenizerConfig.get("add_" + KINDS[k] + "_token") instanceof Boolean b) add[k] = b;
            Object text = content(tokenizerConfig.get(KINDS[k] + "_token"));
            Object id = null;
            for (Object a : tokenizer.get("added_tokens") instanceof List<?> l ? l : List.of()) {
                if (text != null && a instanceof Map<?, ?> token && text.equals(token.get("content"))) {
                    id = token.get("id");
                    break;
                }
            }
            if (!(id instanceof Long)) id = config.get(KINDS[k] + "_token_id");
            if (id instanceof Long n && n >= 0 && n < vocabSize) meta.put("tokenizer.ggml." + ID_KEYS[k] + "_token_id", new GgufWriter.UInt32(n));
            if (k != 2 && k < 4 && add[k] != null) meta.put("tokenizer.ggml.add_" + KINDS[k] + "_token", add[k]);
        }
    }

    private static Object content(Object entry) {
        return entry instanceof Map<?, ?> m ? m.get("content") : entry;
    }

    private static Object specialTokenId(Object templatePiece) {
        return templatePiece instanceof Map<?, ?> m && m.get("SpecialToken") instanceof Map<?, ?> s ? s.get("id") : null;
    }

    private static Map<?, ?> json(Path file) throws IOException {
        return Files.isRegularFile(file) ? Json.parseObject(Files.readString(file)) : Map.of();
    }
}
