package dev.specdiff4j.tokenizer;

import dev.specdiff4j.json.JsonFields;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads an HF {@code tokenizer.json} whose model is BPE with {@code byte_fallback} (Llama 2, Mistral,
 * TinyLlama) into a {@link SentencePieceBpeTokenizer} that merges by rank. The space handling is either
 * the normalizer {@code Prepend("▁")} + {@code Replace(" ", "▁")} or the {@code Metaspace} pre-tokenizer;
 * BOS/EOS come from the post-processor and tokenizer_config.json ({@link HfSequenceMarks}).
 */
final class HfSentencePiece {
    private HfSentencePiece() {
    }

    static SentencePieceBpeTokenizer fromHfJson(String source, Map<String, Object> root, Map<String, Object> tokenizerConfig) {
        JsonFields r = new JsonFields(source, root);
        JsonFields model = r.object("model");
        if (!model.stringOr("continuing_subword_prefix", "").isEmpty() || !model.stringOr("end_of_word_suffix", "").isEmpty()) {
            throw new TokenizerException(source, "continuing_subword_prefix / end_of_word_suffix are not supported with byte_fallback");
        }
        Map<String, Object> vocab = model.object("vocab").map();
        int size = 0;
        for (Map.Entry<String, Object> e : vocab.entrySet()) size = Math.max(size, id(source, e.getKey(), e.getValue()) + 1);
        List<JsonFields> added = new ArrayList<>();
        for (Object o : r.arrayOr("added_tokens")) {
            if (!(o instanceof Map<?, ?> m)) throw new TokenizerException(source, "added_tokens holds a non-object");
            @SuppressWarnings("unchecked")
            JsonFields t = new JsonFields(source + " added_tokens", (Map<String, Object>) m);
            added.add(t);
            size = Math.max(size, t.integer("id") + 1);
        }
        if (size > 10_000_000) throw new TokenizerException(source, "token id " + (size - 1) + " is implausibly large");
        String[] pieces = new String[size];
        int[] types = new int[size];
        for (Map.Entry<String, Object> e : vocab.entrySet()) {
            int id = id(source, e.getKey(), e.getValue());
            if (pieces[id] != null) throw new TokenizerException(source, "id " + id + " is used by two tokens");
            pieces[id] = e.getKey();
            types[id] = SentencePieceBpeTokenizer.byteValue(e.getKey()) >= 0 ? SentencePieceBpeTokenizer.BYTE : SentencePieceBpeTokenizer.NORMAL;
        }
        for (JsonFields t : added) {
            int id = t.integer("id");
            String content = t.string("content");
            if (pieces[id] != null && !pieces[id].equals(content)) {
                throw new TokenizerException(source, "added token '" + content + "' has id " + id + ", which is '" + pieces[id] + "' in the vocabulary");
            }
            pieces[id] = content;
            types[id] = t.boolOr("special", false) ? SentencePieceBpeTokenizer.CONTROL : SentencePieceBpeTokenizer.USER_DEFINED;
        }
        for (int id = 0; id < size; id++) {
            if (pieces[id] == null) throw new TokenizerException(source, "token id " + id + " is missing from the vocabulary");
        }
        int unk = -1;
        String unkToken = model.stringOr("unk_token", null);
        if (unkToken != null) {
            Object id = vocab.get(unkToken);
            if (id == null) throw new TokenizerException(source, "unk_token '" + unkToken + "' is not in the vocabulary");
            unk = ((Number) id).intValue();
            types[unk] = SentencePieceBpeTokenizer.UNKNOWN;
        }
        int[][] merges = merges(source, model.array("merges"), vocab);

        boolean addSpacePrefix = false;
        boolean split = false;
        Object normalizer = r.raw("normalizer");
        if (normalizer != null) addSpacePrefix = spaceNormalizer(source, asFields(source + " normalizer", normalizer));
        Object pre = r.raw("pre_tokenizer");
        if (pre != null) {
            JsonFields p = asFields(source + " pre_tokenizer", pre);
            if (!p.string("type").equals("Metaspace")) {
                throw new TokenizerException(source, "pre-tokenizer '" + p.string("type") + "' is not supported with byte_fallback (Metaspace or none)");
            }
            if (!p.stringOr("replacement", "\u2581").equals("\u2581")) throw new TokenizerException(source, "Metaspace with a replacement other than ▁ is not supported");
            String scheme = p.stringOr("prepend_scheme", p.boolOr("add_prefix_space", true) ? "always" : "never");
            addSpacePrefix = !scheme.equals("never");
            split = p.boolOr("split", true);
        }

        SequenceMarks marks = HfSequenceMarks.read(source, root, tokenizerConfig, name -> idOf(pieces, name));
        int bos = marks.bos();
        int eos = marks.eos();
        boolean addBos = marks.addsBos();
        boolean addEos = marks.addsEos();
        if (bos < 0) bos = orMinus1(idOf(pieces, "<s>"));
        if (eos < 0) eos = orMinus1(idOf(pieces, "</s>"));
        return new SentencePieceBpeTokenizer(new SentencePieceBpeTokenizer.Spec(source, pieces, types, null, merges,
                addSpacePrefix, split, bos, eos, unk, addBos, addEos));
    }

    private static int orMinus1(Integer id) {
        return id == null ? -1 : id;
    }

    private static Integer idOf(String[] pieces, String text) {
        for (int i = 0; i < pieces.length; i++) if (pieces[i].equals(text)) return i;
        return null;
    }

    /** Prepend("▁") + Replace(" ", "▁") → true; Replace alone → false; anything else is refused. */
    private static boolean spaceNormalizer(String source, JsonFields n) {
        List<JsonFields> steps = new ArrayList<>();
        if (n.string("type").equals("Sequence")) {
            for (Object o : n.array("normalizers")) steps.add(asFields(source + " normalizer", o));
        } else {
            steps.add(n);
        }
        boolean prepend = false;
        boolean replace = false;
        for (JsonFields step : steps) {
            String type = step.string("type");
            if (type.equals("Prepend") && step.string("prepend").equals("\u2581") && !replace) {
                prepend = true;
            } else if (type.equals("Replace") && step.object("pattern").stringOr("String", "").equals(" ")
                    && step.string("content").equals("\u2581")) {
                replace = true;
            } else {
                throw new TokenizerException(source, "normalizer step '" + type + "' is not supported with byte_fallback "
                        + "(only Prepend(\"▁\") and Replace(\" \", \"▁\"))");
            }
        }
        if (!steps.isEmpty() && !replace) throw new TokenizerException(source, "the normalizer does not turn spaces into ▁");
        return prepend;
    }

    @SuppressWarnings("unchecked")
    private static JsonFields asFields(String source, Object json) {
        if (!(json instanceof Map<?, ?> m)) throw new TokenizerException(source, "is not a JSON object");
        return new JsonFields(source, (Map<String, Object>) m);
    }

    private static int id(String source, String token, Object value) {
        if (!(value instanceof Long l) || l < 0 || l > Integer.MAX_VALUE) {
            throw new TokenizerException(source, "token '" + token + "' has id " + value + ", not a non-negative integer");
        }
        return (int) (long) l;
    }

    private static int[][] merges(String source, List<Object> json, Map<String, Object> vocab) {
        int[][] merges = new int[json.size()][];
        for (int i = 0; i < merges.length; i++) {
            String left;
            String right;
            if (json.get(i) instanceof String s) {
                int space = s.indexOf(' ');
                if (space <= 0 || space != s.lastIndexOf(' ') || space == s.length() - 1) {
                    throw new TokenizerException(source, "merge #" + i + " '" + s + "' is not two tokens separated by one space");
                }
                left = s.substring(0, space);
                right = s.substring(space + 1);
            } else if (json.get(i) instanceof List<?> pair && pair.size() == 2 && pair.get(0) instanceof String a
                    && pair.get(1) instanceof String b) {
                left = a;
                right = b;
            } else {
                throw new TokenizerException(source, "merge #" + i + " is neither \"a b\" nor [\"a\", \"b\"]");
            }
            Object l = vocab.get(left);
            Object r = vocab.get(right);
            if (l == null || r == null) {
                throw new TokenizerException(source, "merge #" + i + " uses '" + (l == null ? left : right) + "', which is not in the vocabulary");
            }
            merges[i] = new int[] {((Number) l).intValue(), ((Number) r).intValue()};
        }
        return merges;
    }
}
