package dev.specdiff4j.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * SentencePiece-style BPE with byte fallback, as Llama 2, Mistral and TinyLlama use it: spaces are written
 * {@code ▁} (U+2581), a space is put in front of the text, every character starts as its own symbol, and
 * adjacent symbols merge until nothing merges. What merges first is either the pair whose merged token has
 * the highest score (llama.cpp's "llama" tokenizer, GGUF {@code tokenizer.ggml.scores}) or the pair with the
 * lowest merge rank (an HF {@code tokenizer.json} BPE model with {@code byte_fallback}); ties go to the
 * leftmost pair. A symbol left over that is not a token is written as its UTF-8 bytes, each the token
 * {@code <0xNN>}.
 *
 * <p>Special tokens are split out of the text before BPE: user-defined ones always, control ones
 * ({@code <s>}, {@code </s>}) only when asked to ({@link SpecialTokens#AS_IDS}). The text after a special
 * token gets the leading space again, as llama.cpp and HF do. {@link #encode} never adds BOS/EOS;
 * {@link #encodeForModel} adds them as the model file says. Decoding turns {@code ▁} back into spaces,
 * reassembles byte tokens into UTF-8, and drops the space the encoder put in front of the first word.
 */
public final class SentencePieceBpeTokenizer implements Tokenizer {
    /** llama.cpp's token types ({@code tokenizer.ggml.token_type}). */
    public static final int NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5, BYTE = 6;
    static final char SPACE = '\u2581';

    /**
     * What the tokenizer is made of.
     *
     * @param source         where it came from, for messages
     * @param pieces         token text by id, spaces written as ▁, byte tokens as {@code <0xNN>}
     * @param types          token type by id ({@link #NORMAL} … {@link #BYTE})
     * @param scores         merge priority by id of the merged token, higher first; null when
     *                       {@code merges} gives the order instead
     * @param merges         pairs of ids in rank order (HF); null when {@code scores} gives the order
     * @param addSpacePrefix put a space in front of the text (and after each special token)
     * @param splitOnSpace   cut the text before each ▁ and run BPE on each word alone (HF Metaspace with split)
     * @param bos            the BOS id, or -1
     * @param eos            the EOS id, or -1
     * @param unk            the unknown-token id, or -1
     * @param addBos         {@link #encodeForModel} starts with BOS
     * @param addEos         {@link #encodeForModel} ends with EOS
     */
    public record Spec(String source, String[] pieces, int[] types, float[] scores, int[][] merges,
                       boolean addSpacePrefix, boolean splitOnSpace, int bos, int eos, int unk,
                       boolean addBos, boolean addEos) {
        public Spec {
            if (pieces.length != types.length || (scores != null && scores.length != pieces.length)) {
                throw new TokenizerException(source, "has " + pieces.length + " tokens but " + types.length
                        + " token types" + (scores == null ? "" : " and " + scores.length + " scores"));
            }
            if ((scores == null) == (merges == null)) {
                throw new TokenizerException(source, "needs exactly one of merge scores and a merge list");
            }
            for (int id : new int[] {bos, eos, unk}) {
                if (id < -1 || id >= pieces.length) {
                    throw new TokenizerException(source, "special token id " + id + " is outside the vocabulary of " + pieces.length);
                }
            }
            if (addBos && bos < 0) throw new TokenizerException(source, "asks for a BOS token but names none");
            if (addEos && eos < 0) throw new TokenizerException(source, "asks for an EOS token but names none");
        }
    }

    private final Spec spec;
    private final Map<String, Integer> idByPiece;
    private final int[] byteTokens = new int[256];
    private final byte[][] tokenBytes;
    private final PairTable mergeTable; // HF mode only
    private final Map<String, Integer> specialTokens;
    private final Pattern userDefinedPattern;
    private final Pattern allSpecialPattern;
    private final SequenceMarks marks;

    public SentencePieceBpeTokenizer(Spec spec) {
        this.spec = spec;
        this.marks = new SequenceMarks(spec.addBos() ? spec.bos() : -1, spec.addEos() ? spec.eos() : -1);
        String[] pieces = spec.pieces();
        idByPiece = new HashMap<>(pieces.length * 2);
        for (int id = 0; id < pieces.length; id++) {
            if (pieces[id] == null) throw new TokenizerException(spec.source(), "token " + id + " has no text");
            idByPiece.putIfAbsent(pieces[id], id); // llama.cpp and HF both keep the first of duplicate texts
        }
        java.util.Arrays.fill(byteTokens, -1);
        tokenBytes = new byte[pieces.length][];
        Map<String, Integer> specials = new LinkedHashMap<>();
        Map<String, Integer> userDefined = new LinkedHashMap<>();
        for (int id = 0; id < pieces.length; id++) {
            int type = spec.types()[id];
            String piece = pieces[id];
            if (type == BYTE) {
                int b = byteValue(piece);
                if (b < 0) throw new TokenizerException(spec.source(), "byte token " + id + " '" + piece + "' is not written <0xNN>");
                if (byteTokens[b] < 0) byteTokens[b] = id;
                tokenBytes[id] = new byte[] {(byte) b};
            } else {
                tokenBytes[id] = piece.replace(SPACE, ' ').getBytes(StandardCharsets.UTF_8);
            }
            if (type == CONTROL || type == USER_DEFINED) specials.putIfAbsent(piece, id);
            if (type == USER_DEFINED && !piece.isEmpty()) userDefined.putIfAbsent(piece, id);
        }
        specialTokens = Collections.unmodifiableMap(specials);
        userDefinedPattern = alternation(userDefined.keySet());
        Map<String, Integer> splittable = new LinkedHashMap<>(specials);
        splittable.values().removeIf(id -> pieces[id].isEmpty());
        allSpecialPattern = alternation(splittable.keySet());
        mergeTable = spec.merges() == null ? null : tableFromMerges(spec.merges());
    }

    private PairTable tableFromMerges(int[][] merges) {
        PairTable table = new PairTable(merges.length);
        for (int rank = 0; rank < merges.length; rank++) {
            int left = merges[rank][0];
            int right = merges[rank][1];
            Integer merged = idByPiece.get(spec.pieces()[left] + spec.pieces()[right]);
            if (merged == null) {
                throw new TokenizerException(spec.source(), "merge #" + rank + " joins '" + spec.pieces()[left] + "' and '"
                        + spec.pieces()[right] + "', which is not in the vocabulary");
            }
            table.putIfLower(left, right, rank, merged);
        }
        return table;
    }

    /** The value of a {@code <0xNN>} token, or -1. */
    static int byteValue(String piece) {
        if (piece.length() != 6 || !piece.startsWith("<0x") || piece.charAt(5) != '>') return -1;
        try {
            return Integer.parseInt(piece.substring(3, 5), 16);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static Pattern alternation(java.util.Set<String> texts) {
        if (texts.isEmpty()) return null;
        StringBuilder sb = new StringBuilder();
        texts.stream().sorted(Comparator.comparingInt(String::length).reversed().thenComparing(s -> s))
                .forEach(s -> sb.append(sb.isEmpty() ? "" : "|").append(Pattern.quote(s)));
        return Pattern.compile(sb.toString());
    }

    @Override
    public int[] encode(String text, SpecialTokens specials) {
        IntList out = new IntList(Math.max(16, text.length() / 3));
        Pattern split = specials == SpecialTokens.AS_IDS ? allSpecialPattern : userDefinedPattern;
        boolean afterSpecial = true; // the start of the text counts as "after a special token"
        int start = 0;
        if (split != null) {
            Matcher m = split.matcher(text);
            while (m.find()) {
                if (m.start() > start) {
                    encodeText(text.substring(start, m.start()), afterSpecial, out);
                    afterSpecial = false;
                }
                out.add(specialTokens.get(m.group()));
                afterSpecial = true;
                start = m.end();
            }
        }
        if (start < text.length()) encodeText(text.substring(start), afterSpecial, out);
        return out.toArray();
    }

    @Override
    public SequenceMarks sequenceMarks() {
        return marks;
    }

    private void encodeText(String fragment, boolean afterSpecial, IntList out) {
        String text = (spec.addSpacePrefix() && afterSpecial ? " " : "") + fragment;
        text = text.replace(' ', SPACE);
        if (!spec.splitOnSpace()) {
            bpe(text, out);
            return;
        }
        int wordStart = 0;
        for (int i = 1; i < text.length(); i++) {
            if (text.charAt(i) == SPACE) {
                bpe(text.substring(wordStart, i), out);
                wordStart = i;
            }
        }
        bpe(text.substring(wordStart), out);
    }

    /** Merges the characters of one piece of ▁-escaped text and writes the resulting ids. */
    private void bpe(String text, IntList out) {
        int n = text.codePointCount(0, text.length());
        int[] start = new int[n + 1];
        for (int i = 0, offset = 0; i < n; i++) {
            start[i] = offset;
            offset += Character.charCount(text.codePointAt(offset));
        }
        start[n] = text.length();
        int[] end = new int[n];
        int[] next = new int[n];
        int[] prev = new int[n];
        for (int i = 0; i < n; i++) {
            end[i] = start[i + 1];
            next[i] = i + 1 < n ? i + 1 : -1;
            prev[i] = i - 1;
        }
        LongHeap heap = new LongHeap(n);
        for (int i = 0; i + 1 < n; i++) pushPair(heap, text, start, end, i, i + 1);
        while (!heap.isEmpty()) {
            long entry = heap.poll();
            int key = (int) (entry >> 32);
            int left = (int) entry;
            int right = next[left];
            if (end[left] < 0 || right < 0) continue;
            long pair = pairKey(text, start[left], end[left], end[right]);
            if (pair == Long.MIN_VALUE || (int) (pair >> 32) != key) continue; // stale: the pair changed
            end[left] = end[right];
            end[right] = -1;
            next[left] = next[right];
            if (next[right] >= 0) prev[next[right]] = left;
            if (prev[left] >= 0) pushPair(heap, text, start, end, prev[left], left);
            if (next[left] >= 0) pushPair(heap, text, start, end, left, next[left]);
        }
        for (int i = 0; i >= 0; i = next[i]) {
            String symbol = text.substring(start[i], end[i]);
            Integer id = idByPiece.get(symbol);
            if (id != null) {
                out.add(id);
            } else {
                for (byte b : symbol.getBytes(StandardCharsets.UTF_8)) out.add(byteToken(b & 0xFF));
            }
        }
    }

    private int byteToken(int b) {
        if (byteTokens[b] >= 0) return byteTokens[b];
        if (spec.unk() >= 0) return spec.unk();
        throw new TokenizerException(spec.source(), String.format(
                "has no byte token <0x%02X> and no unknown token, so this text cannot be encoded", b));
    }

    private void pushPair(LongHeap heap, String text, int[] start, int[] end, int left, int right) {
        long pair = pairKey(text, start[left], end[left], end[right]);
        if (pair != Long.MIN_VALUE) heap.add((pair & 0xFFFF_FFFF_0000_0000L) | left);
    }

    /**
     * The heap key (high 32 bits; smaller merges first) of merging text[from, mid) with text[mid, to), or
     * Long.MIN_VALUE when the two do not merge.
     */
    private long pairKey(String text, int from, int mid, int to) {
        if (mergeTable == null) {
            Integer merged = idByPiece.get(text.substring(from, to));
            if (merged == null) return Long.MIN_VALUE;
            int bits = Float.floatToIntBits(spec.scores()[merged]);
            int sortable = bits ^ ((bits >> 31) & 0x7FFF_FFFF); // signed order of the ints = order of the floats
            return (long) ~sortable << 32; // the highest score gets the smallest key
        }
        Integer left = idByPiece.get(text.substring(from, mid));
        Integer right = left == null ? null : idByPiece.get(text.substring(mid, to));
        if (right == null) return Long.MIN_VALUE;
        long merge = mergeTable.get(left, right);
        return merge < 0 ? Long.MIN_VALUE : (long) PairTable.rank(merge) << 32;
    }

    @Override
    public String decode(int[] ids) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(ids.length * 4);
        boolean first = true;
        for (int id : ids) {
            byte[] b = tokenBytes(id);
            int type = spec.types()[id];
            if (first && type != CONTROL && spec.addSpacePrefix() && b.length > 0 && b[0] == ' ' && type != BYTE) {
                bytes.write(b, 1, b.length - 1); // the space the encoder put in front of the text
            } else {
                bytes.writeBytes(b);
            }
            if (type != CONTROL) first = false;
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** The token's bytes: ▁ as a space, a byte token as its byte, a special token as its text. */
    @Override
    public byte[] tokenBytes(int id) {
        if (id < 0 || id >= tokenBytes.length) {
            throw new IllegalArgumentException("token id " + id + " is not in the vocabulary ("
                    + tokenBytes.length + " ids) of " + spec.source());
        }
        return tokenBytes[id].clone();
    }

    /** What the tokenizer is made of (the arrays are its own: read them, do not change them). */
    public Spec spec() {
        return spec;
    }

    @Override
    public int vocabSize() {
        return spec.pieces().length;
    }

    @Override
    public Map<String, Integer> specialTokens() {
        return specialTokens;
    }

    /** The token's text as the vocabulary writes it (▁ for spaces, {@code <0xNN>} for bytes). */
    public String piece(int id) {
        return spec.pieces()[id];
    }

    public int bosId() {
        return spec.bos();
    }

    public int eosId() {
        return spec.eos();
    }

    public boolean addsBos() {
        return spec.addBos();
    }

    public boolean addsEos() {
        return spec.addEos();
    }

    @Override
    public String describe() {
        return "SentencePiece BPE with byte fallback (" + (spec.scores() != null ? "merge by score" : "merge by rank")
                + "), " + vocabSize() + " tokens, " + specialTokens.size() + " special, from " + spec.source();
    }

    @Override
    public String toString() {
        return describe();
    }
}
