package dev.specdiff4j.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Byte-level BPE as GPT-2 does it: the text is split by the pre-tokenizer pattern, each piece is turned
 * into its UTF-8 bytes, every byte starts as its own token, and adjacent tokens are merged, lowest merge
 * rank first (leftmost first among equal ranks), until no adjacent pair has a merge.
 *
 * <p>Merging uses a heap over candidate pairs and a linked list over the symbols, so a piece of n bytes
 * costs O(n log n), not O(n²). Encoded pieces are cached (bounded), since natural text repeats its
 * words. Instances are immutable apart from that concurrent cache and safe to share between threads.
 */
public final class BpeTokenizer implements Tokenizer {
    private static final int CACHE_LIMIT = 1 << 16;
    private static final int CACHEABLE_PIECE_LENGTH = 64;

    /** What a tokenizer is made of, whatever file it came from. */
    public record Spec(
            String source,
            byte[][] tokens,
            int[][] merges,
            Map<String, Integer> specialTokens,
            PreTokenizer preTokenizer,
            boolean ignoreMerges,
            boolean nfc,
            SequenceMarks sequenceMarks) {
        /**
         * @param source        where it came from, for messages
         * @param tokens        the bytes of each token by id; null for an unused id
         * @param merges        pairs of ids in rank order (HF / GPT-2 merge lists); null means tiktoken
         *                      style, where a pair merges when its concatenation is a token and the rank
         *                      is that token's id
         * @param specialTokens special tokens by text (their ids must be valid)
         * @param ignoreMerges  a piece that is itself a token is taken whole (tiktoken and Llama 3 do this)
         * @param nfc           normalise the input to Unicode NFC first (Qwen2)
         * @param sequenceMarks the BOS / EOS the files ask to add for a model ({@link Tokenizer#encodeForModel})
         */
        public Spec {
            specialTokens = Collections.unmodifiableMap(new LinkedHashMap<>(specialTokens));
            if (sequenceMarks == null) sequenceMarks = SequenceMarks.NONE;
        }

        /** A tokenizer whose files ask for no BOS / EOS. */
        public Spec(String source, byte[][] tokens, int[][] merges, Map<String, Integer> specialTokens,
                    PreTokenizer preTokenizer, boolean ignoreMerges, boolean nfc) {
            this(source, tokens, merges, specialTokens, preTokenizer, ignoreMerges, nfc, SequenceMarks.NONE);
        }
    }

    private final Spec spec;
    private final byte[][] tokenBytes;
    private final Map<String, Integer> idByBytes; // keyed by the bytes as a Latin-1 string
    private final int[] byteTokens = new int[256];
    private final PairTable merges;
    private final Pattern specialPattern;
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();

    public BpeTokenizer(Spec spec) {
        this.spec = spec;
        this.tokenBytes = spec.tokens().clone();
        Map<Integer, String> specialIds = new HashMap<>();
        for (Map.Entry<String, Integer> e : spec.specialTokens().entrySet()) {
            int id = e.getValue();
            if (id < 0) throw new TokenizerException(spec.source(), "special token '" + e.getKey() + "' has a negative id " + id);
            if (id >= tokenBytes.length) {
                throw new TokenizerException(spec.source(), "special token '" + e.getKey() + "' has id " + id
                        + ", outside the vocabulary of " + tokenBytes.length);
            }
            if (tokenBytes[id] == null) tokenBytes[id] = e.getKey().getBytes(StandardCharsets.UTF_8);
            specialIds.put(id, e.getKey());
        }
        idByBytes = new HashMap<>(tokenBytes.length * 2);
        for (int id = 0; id < tokenBytes.length; id++) {
            if (tokenBytes[id] == null || specialIds.containsKey(id)) continue;
            Integer previous = idByBytes.putIfAbsent(latin1(tokenBytes[id]), id);
            if (previous != null) {
                throw new TokenizerException(spec.source(), "tokens " + previous + " and " + id + " have the same bytes");
            }
        }
        for (int b = 0; b < 256; b++) {
            Integer id = idByBytes.get(String.valueOf((char) b));
            if (id == null) {
                throw new TokenizerException(spec.source(), String.format(
                        "the vocabulary has no token for the single byte 0x%02X, so byte-level BPE cannot encode every text", b));
            }
            byteTokens[b] = id;
        }
        for (int id : new int[] {spec.sequenceMarks().bos(), spec.sequenceMarks().eos()}) {
            if (id >= tokenBytes.length || (id >= 0 && tokenBytes[id] == null)) {
                throw new TokenizerException(spec.source(), "asks to add token " + id + ", which is not in the vocabulary");
            }
        }
        merges = spec.merges() != null ? tableFromMerges(spec.merges()) : tableFromRanks();
        specialPattern = specialPattern(spec.specialTokens().keySet());
    }

    private PairTable tableFromMerges(int[][] mergeList) {
        PairTable table = new PairTable(mergeList.length);
        for (int rank = 0; rank < mergeList.length; rank++) {
            int left = mergeList[rank][0];
            int right = mergeList[rank][1];
            byte[] joined = concat(tokenBytes[left], tokenBytes[right]);
            Integer merged = idByBytes.get(latin1(joined));
            if (merged == null) {
                throw new TokenizerException(spec.source(), "merge #" + rank + " joins tokens " + left + " and " + right
                        + " into '" + ByteLevel.encode(joined) + "', which is not in the vocabulary");
            }
            table.putIfLower(left, right, rank, merged);
        }
        return table;
    }

    /** tiktoken: any adjacent pair whose concatenation is a token merges, lower resulting id first. */
    private PairTable tableFromRanks() {
        int pairs = 0;
        for (byte[] t : tokenBytes) if (t != null && t.length > 1) pairs += t.length - 1;
        PairTable table = new PairTable(pairs);
        for (int id = 0; id < tokenBytes.length; id++) {
            byte[] t = tokenBytes[id];
            if (t == null || t.length < 2 || !idByBytes.containsKey(latin1(t))) continue;
            for (int split = 1; split < t.length; split++) {
                Integer left = idByBytes.get(latin1(Arrays.copyOfRange(t, 0, split)));
                if (left == null) continue;
                Integer right = idByBytes.get(latin1(Arrays.copyOfRange(t, split, t.length)));
                if (right != null) table.putIfLower(left, right, id, id);
            }
        }
        return table;
    }

    private static Pattern specialPattern(java.util.Set<String> specials) {
        if (specials.isEmpty()) return null;
        StringBuilder alternation = new StringBuilder();
        specials.stream().sorted(Comparator.comparingInt(String::length).reversed().thenComparing(s -> s))
                .forEach(s -> alternation.append(alternation.isEmpty() ? "" : "|").append(Pattern.quote(s)));
        return Pattern.compile(alternation.toString());
    }

    @Override
    public int[] encode(String text, SpecialTokens specials) {
        IntList out = new IntList(Math.max(16, text.length() / 3));
        if (specials == SpecialTokens.AS_IDS && specialPattern != null) {
            Matcher m = specialPattern.matcher(text);
            int start = 0;
            while (m.find()) {
                encodeOrdinary(text.substring(start, m.start()), out);
                out.add(spec.specialTokens().get(m.group()));
                start = m.end();
            }
            encodeOrdinary(text.substring(start), out);
        } else {
            encodeOrdinary(text, out);
        }
        return out.toArray();
    }

    private void encodeOrdinary(String text, IntList out) {
        if (text.isEmpty()) return;
        String normalized = spec.nfc() ? Normalizer.normalize(text, Normalizer.Form.NFC) : text;
        spec.preTokenizer().split(normalized, piece -> encodePiece(piece, out));
    }

    private void encodePiece(String piece, IntList out) {
        boolean cacheable = piece.length() <= CACHEABLE_PIECE_LENGTH;
        if (cacheable) {
            int[] cached = cache.get(piece);
            if (cached != null) {
                out.addAll(cached);
                return;
            }
        }
        int[] ids = bpe(piece.getBytes(StandardCharsets.UTF_8));
        if (cacheable) {
            if (cache.size() >= CACHE_LIMIT) cache.clear();
            cache.put(piece, ids);
        }
        out.addAll(ids);
    }

    /** Encodes the bytes of one piece. */
    int[] bpe(byte[] bytes) {
        int n = bytes.length;
        if (n == 1) return new int[] {byteTokens[bytes[0] & 0xFF]};
        if (spec.ignoreMerges()) {
            Integer whole = idByBytes.get(latin1(bytes));
            if (whole != null) return new int[] {whole};
        }
        int[] ids = new int[n];
        int[] next = new int[n];
        int[] prev = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = byteTokens[bytes[i] & 0xFF];
            next[i] = i + 1 < n ? i + 1 : -1;
            prev[i] = i - 1;
        }
        LongHeap heap = new LongHeap(n);
        for (int i = 0; i + 1 < n; i++) pushPair(heap, ids, i, i + 1);
        int remaining = n;
        while (!heap.isEmpty()) {
            long entry = heap.poll();
            int rank = (int) (entry >>> 32);
            int pos = (int) entry;
            int right = next[pos];
            if (ids[pos] < 0 || right < 0) continue; // symbol merged away, or no right neighbour any more
            long merge = merges.get(ids[pos], ids[right]);
            if (merge < 0 || PairTable.rank(merge) != rank) continue; // stale entry
            ids[pos] = PairTable.merged(merge);
            ids[right] = -1;
            next[pos] = next[right];
            if (next[right] >= 0) prev[next[right]] = pos;
            remaining--;
            if (prev[pos] >= 0) pushPair(heap, ids, prev[pos], pos);
            if (next[pos] >= 0) pushPair(heap, ids, pos, next[pos]);
        }
        int[] result = new int[remaining];
        int k = 0;
        for (int i = 0; i >= 0; i = next[i]) result[k++] = ids[i];
        return result;
    }

    private void pushPair(LongHeap heap, int[] ids, int left, int right) {
        long merge = merges.get(ids[left], ids[right]);
        if (merge >= 0) heap.add(((long) PairTable.rank(merge) << 32) | left);
    }

    @Override
    public SequenceMarks sequenceMarks() {
        return spec.sequenceMarks();
    }

    @Override
    public String decode(int[] ids) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(ids.length * 4);
        for (int id : ids) bytes.writeBytes(tokenBytes(id));
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Override
    public byte[] tokenBytes(int id) {
        if (id < 0 || id >= tokenBytes.length || tokenBytes[id] == null) {
            throw new IllegalArgumentException("token id " + id + " is not in the vocabulary ("
                    + tokenBytes.length + " ids) of " + spec.source());
        }
        return tokenBytes[id];
    }

    /** The id of the token with exactly these bytes, or -1. */
    public int idOf(byte[] bytes) {
        Integer id = idByBytes.get(latin1(bytes));
        return id == null ? -1 : id;
    }

    @Override
    public int vocabSize() {
        return tokenBytes.length;
    }

    @Override
    public Map<String, Integer> specialTokens() {
        return spec.specialTokens();
    }

    public PreTokenizer preTokenizer() {
        return spec.preTokenizer();
    }

    /** The number of merges (or, tiktoken style, of mergeable pairs). */
    public int mergeCount() {
        return merges.size();
    }

    /** Tokens by id as they were given (special tokens included); for writers such as GGUF export. */
    public List<byte[]> tokens() {
        return Collections.unmodifiableList(Arrays.asList(tokenBytes.clone()));
    }

    /** The merge list in rank order, or null for a tiktoken-style vocabulary. */
    public int[][] mergeList() {
        return spec.merges() == null ? null : spec.merges().clone();
    }

    @Override
    public String describe() {
        return "byte-level BPE, " + tokenBytes.length + " tokens, " + spec.preTokenizer().name()
                + " pre-tokenizer, " + spec.specialTokens().size() + " special, from " + spec.source();
    }

    @Override
    public String toString() {
        return describe();
    }

    static String latin1(byte[] bytes) {
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
