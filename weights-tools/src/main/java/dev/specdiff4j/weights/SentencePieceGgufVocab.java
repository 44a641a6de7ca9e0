package dev.specdiff4j.weights;

import dev.specdiff4j.engine.io.GgufWriter;
import dev.specdiff4j.tokenizer.SentencePieceBpeTokenizer;

import java.nio.charset.StandardCharsets;
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
 * the token types (normal, unknown, control, user-defined, byte) and scores; the special ids and BOS/EOS flags come from
 * {@link HfSpecialTokens}.
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
    private static final int MAX_EXACT_RANK = 1 << 24; // every rank below is exact as a float32 score

    private SentencePieceGgufVocab() {
    }

    static void put(Map<String, Object> meta, SentencePieceBpeTokenizer tokenizer, HfSpecialTokens specials, int vocabSize) {
        SentencePieceBpeTokenizer.Spec spec = tokenizer.spec();
        String[] pieces = spec.pieces();
        if (spec.splitOnSpace()) {
            throw new ConversionException(spec.source() + " has a Metaspace pre-tokenizer that splits words at spaces (split: true); "
                    + "llama.cpp's \"llama\" tokenizer merges across them, so it cannot be written as a GGUF vocabulary");
        }
        if (pieces.length > vocabSize) {
            throw new ConversionException(spec.source() + " has " + pieces.length + " tokens but the model's embedding " + vocabSize + " rows");
        }
        for (int id = 0; id < pieces.length; id++) checkPiece(spec, id);
        float[] scores = spec.scores() != null ? spec.scores() : scoresFromMerges(spec);
        List<String> tokens = new ArrayList<>(vocabSize);
        List<Float> scoreList = new ArrayList<>(vocabSize);
        List<Integer> types = new ArrayList<>(vocabSize);
        for (int id = 0; id < vocabSize; id++) {
            boolean real = id < pieces.length;
            tokens.add(real ? pieces[id] : "[PAD" + id + "]");
            scoreList.add(real ? scores[id] : -1000f);
            types.add(real ? spec.types()[id] : SentencePieceBpeTokenizer.UNUSED);
        }
        meta.put("tokenizer.ggml.model", "llama");
        meta.put("tokenizer.ggml.pre", "default");
        meta.put("tokenizer.ggml.tokens", tokens);
        meta.put("tokenizer.ggml.scores", scoreList);
        meta.put("tokenizer.ggml.token_type", types);
        specials.ids().forEach((key, id) -> meta.put("tokenizer.ggml." + key, new GgufWriter.UInt32(id)));
        specials.flags().forEach((key, on) -> meta.put("tokenizer.ggml." + key, on));
        if (!spec.addSpacePrefix()) meta.put("tokenizer.ggml.add_space_prefix", false); // llama.cpp's default is true
    }

    private static void checkPiece(SentencePieceBpeTokenizer.Spec spec, int id) {
        String piece = spec.pieces()[id];
        if (!StandardCharsets.UTF_8.newEncoder().canEncode(piece)) {
            throw new ConversionException("token " + id + " '" + escaped(piece) + "' of " + spec.source()
                    + " is not valid Unicode (an unpaired surrogate), so it has no UTF-8 text a GGUF vocabulary could hold");
        }
        if (spec.types()[id] == SentencePieceBpeTokenizer.BYTE) {
            String canonical = String.format("<0x%02X>", Integer.parseInt(piece.substring(3, 5), 16));
            if (!piece.equals(canonical)) {
                throw new ConversionException("byte token " + id + " '" + piece + "' of " + spec.source() + " is not written "
                        + canonical + " (upper-case hex), the text llama.cpp looks byte tokens up by");
            }
        }
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
        if (merges.length >= MAX_EXACT_RANK) {
            throw new ConversionException(spec.source() + " has " + merges.length + " merges, more than float32 scores can order exactly");
        }
        float[] scores = new float[pieces.length];
        int[] firstRank = new int[pieces.length];
        java.util.Arrays.fill(firstRank, -1);
        Set<Long> pairs = new HashSet<>(merges.length * 2);
        int previous = -1;
        for (int rank = 0; rank < merges.length; rank++) {
            int left = merges[rank][0];
            int right = merges[rank][1];
            pairs.add((long) left << 32 | right);
            int made = idOf.get(pieces[left] + pieces[right]);
            if (firstRank[made] < 0) {
                firstRank[made] = rank;
                scores[made] = -rank;
            } else if (made != previous) {
                throw new ConversionException("the merges of " + spec.source() + " that make token '" + escaped(pieces[made])
                        + "' are not consecutive (ranks " + firstRank[made] + " and " + rank + "); llama.cpp orders merges by one "
                        + "score per token, so it would merge in another order");
            }
            previous = made;
        }
        for (int id = 0; id < pieces.length; id++) {
            String piece = pieces[id];
            if (idOf.get(piece) != id) continue;
            for (int i = piece.isEmpty() ? 0 : piece.offsetByCodePoints(0, 1); i > 0 && i < piece.length(); i = piece.offsetByCodePoints(i, 1)) {
                Integer left = idOf.get(piece.substring(0, i));
                Integer right = idOf.get(piece.substring(i));
                if (left != null && right != null && !pairs.contains((long) left << 32 | right)) {
                    throw new ConversionException("token '" + escaped(piece) + "' of " + spec.source() + " is '" + escaped(pieces[left])
                            + "' + '" + escaped(pieces[right]) + "', two tokens, but the tokenizer has no merge of them; llama.cpp "
                            + "merges any two tokens that make a third, so it would tokenize differently");
                }
            }
        }
        return scores;
    }

    private static String escaped(String s) {
        StringBuilder sb = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (Character.isSurrogate(c) || Character.isISOControl(c)) sb.append(String.format("\\u%04X", (int) c));
            else sb.append(c);
        }
        // keep well-formed surrogate pairs readable
        return s.codePoints().allMatch(cp -> !Character.isISOControl(cp)) && StandardCharsets.UTF_8.newEncoder().canEncode(s) ? s : sb.toString();
    }
}
