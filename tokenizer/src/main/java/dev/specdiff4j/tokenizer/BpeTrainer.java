package dev.specdiff4j.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.TreeMap;

/**
 * Learns a byte-level BPE vocabulary from a corpus, the way GPT-2's was made: pre-tokenize, count the
 * distinct pieces, start from the 256 single bytes, and repeatedly merge the most frequent adjacent pair
 * (ties: the pair of lower ids) until the vocabulary has the requested size.
 *
 * <p>Pair counts are updated incrementally (only the words that contain the merged pair are touched)
 * and candidates come from a lazily-updated heap, so a 6 MB corpus trains to 8k tokens in seconds.
 * Deterministic: the same corpus and options give the same tokenizer, byte for byte.
 */
public final class BpeTrainer {

    /** Progress: merges done so far out of the number wanted. */
    @FunctionalInterface
    public interface Progress {
        void update(int done, int total);
    }

    /**
     * @param vocabSize     the total size wanted: 256 bytes + merges + special tokens
     * @param specialTokens appended after the merges, in this order
     * @param minFrequency  pairs seen fewer times are never merged (training may stop short of vocabSize)
     */
    public record Options(int vocabSize, List<String> specialTokens, PreTokenizer preTokenizer, int minFrequency) {
        public Options {
            if (vocabSize < 256 + specialTokens.size()) {
                throw new IllegalArgumentException("vocabulary size " + vocabSize + " is smaller than the 256 byte tokens plus "
                        + specialTokens.size() + " special tokens");
            }
            if (minFrequency < 1) throw new IllegalArgumentException("minimum pair frequency must be at least 1");
            specialTokens = List.copyOf(specialTokens);
        }

        public static Options gpt2Style(int vocabSize) {
            return new Options(vocabSize, List.of("<|endoftext|>"), PreTokenizer.GPT2, 2);
        }
    }

    private final Options options;
    private final Progress progress;

    public BpeTrainer(Options options, Progress progress) {
        this.options = options;
        this.progress = progress == null ? (done, total) -> { } : progress;
    }

    /** Trains on the given documents (each pre-tokenized on its own). */
    public BpeTokenizer train(Iterable<String> documents) {
        Map<String, long[]> counts = new HashMap<>();
        for (String doc : documents) {
            options.preTokenizer().split(doc, piece -> {
                String key = new String(piece.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
                counts.computeIfAbsent(key, k -> new long[1])[0]++;
            });
        }
        TreeMap<String, long[]> sorted = new TreeMap<>(counts);
        int[][] words = new int[sorted.size()][];
        long[] frequency = new long[sorted.size()];
        int[] byteId = new int[256];
        List<byte[]> tokens = new ArrayList<>();
        for (int i = 0; i < 256; i++) {
            byteId[ByteLevel.byteAt(i)] = i;
            tokens.add(new byte[] {(byte) ByteLevel.byteAt(i)});
        }
        int w = 0;
        for (Map.Entry<String, long[]> e : sorted.entrySet()) {
            String key = e.getKey();
            int[] symbols = new int[key.length()];
            for (int i = 0; i < symbols.length; i++) symbols[i] = byteId[key.charAt(i)];
            words[w] = symbols;
            frequency[w++] = e.getValue()[0];
        }

        PairCounts pairs = new PairCounts();
        for (int i = 0; i < words.length; i++) pairs.addWord(words[i], frequency[i], i);
        PriorityQueue<long[]> heap = new PriorityQueue<>((x, y) -> x[0] != y[0] ? Long.compare(y[0], x[0]) : Long.compare(x[1], y[1]));
        pairs.counts.forEach((pair, stats) -> heap.add(new long[] {stats.count, pair}));

        int wanted = options.vocabSize() - 256 - options.specialTokens().size();
        List<int[]> merges = new ArrayList<>();
        while (merges.size() < wanted && !heap.isEmpty()) {
            long[] top = heap.poll();
            PairStats stats = pairs.counts.get(top[1]);
            if (stats == null || stats.count != top[0]) {
                if (stats != null && stats.count > 0) heap.add(new long[] {stats.count, top[1]});
                continue;
            }
            if (stats.count < options.minFrequency()) break;
            int left = (int) (top[1] >>> 32);
            int right = (int) top[1];
            int merged = tokens.size();
            byte[] joined = Arrays.copyOf(tokens.get(left), tokens.get(left).length + tokens.get(right).length);
            System.arraycopy(tokens.get(right), 0, joined, tokens.get(left).length, tokens.get(right).length);
            tokens.add(joined);
            merges.add(new int[] {left, right});
            int[] affected = stats.words.toSortedArray();
            for (int word : affected) {
                int[] before = words[word];
                int[] after = mergeInWord(before, left, right, merged);
                if (after.length == before.length) continue;
                pairs.removeWord(before, frequency[word], word);
                pairs.addWord(after, frequency[word], word);
                words[word] = after;
                for (int i = 0; i + 1 < after.length; i++) {
                    if (after[i] == merged || after[i + 1] == merged) {
                        long key = PairTable.key(after[i], after[i + 1]);
                        heap.add(new long[] {pairs.counts.get(key).count, key});
                    }
                }
            }
            if (merges.size() % 256 == 0 || merges.size() == wanted) progress.update(merges.size(), wanted);
        }

        Map<String, Integer> specials = new LinkedHashMap<>();
        for (String s : options.specialTokens()) {
            specials.put(s, tokens.size());
            tokens.add(s.getBytes(StandardCharsets.UTF_8));
        }
        return new BpeTokenizer(new BpeTokenizer.Spec("trained BPE (" + tokens.size() + " tokens)",
                tokens.toArray(new byte[0][]), merges.toArray(new int[0][]), specials, options.preTokenizer(), false, false));
    }

    private static int[] mergeInWord(int[] symbols, int left, int right, int merged) {
        int[] out = null;
        int n = 0;
        for (int i = 0; i < symbols.length; i++) {
            if (i + 1 < symbols.length && symbols[i] == left && symbols[i + 1] == right) {
                if (out == null) {
                    out = new int[symbols.length - 1];
                    System.arraycopy(symbols, 0, out, 0, i);
                    n = i;
                }
                out[n++] = merged;
                i++;
            } else if (out != null) {
                out[n++] = symbols[i];
            }
        }
        return out == null ? symbols : Arrays.copyOf(out, n);
    }

    /** How often each adjacent pair occurs (weighted by word frequency) and in which words. */
    private static final class PairCounts {
        final Map<Long, PairStats> counts = new HashMap<>();

        void addWord(int[] symbols, long frequency, int word) {
            for (int i = 0; i + 1 < symbols.length; i++) {
                PairStats s = counts.computeIfAbsent(PairTable.key(symbols[i], symbols[i + 1]), k -> new PairStats());
                s.count += frequency;
                s.words.add(word);
            }
        }

        void removeWord(int[] symbols, long frequency, int word) {
            for (int i = 0; i + 1 < symbols.length; i++) {
                long key = PairTable.key(symbols[i], symbols[i + 1]);
                PairStats s = counts.get(key);
                s.count -= frequency;
                s.words.remove(word);
                if (s.count == 0) counts.remove(key);
            }
        }
    }

    private static final class PairStats {
        long count;
        final IntCountSet words = new IntCountSet();
    }

    /**
     * A multiset of word indices (a word can hold a pair several times), as a small open-addressing
     * table: most pairs occur in few words, a few in tens of thousands.
     */
    private static final class IntCountSet {
        private int[] keys = new int[4];
        private int[] multiplicity = new int[4];
        private int size;

        void add(int key) {
            int i = find(key);
            if (keys[i] == key + 1) {
                multiplicity[i]++;
                return;
            }
            if ((size + 1) * 4 > keys.length * 3) {
                grow();
                i = find(key);
            }
            keys[i] = key + 1;
            multiplicity[i] = 1;
            size++;
        }

        void remove(int key) {
            int i = find(key);
            if (keys[i] != key + 1) return;
            if (--multiplicity[i] > 0) return;
            // backward-shift deletion keeps probing chains intact
            int mask = keys.length - 1;
            int hole = i;
            int j = i;
            while (true) {
                j = (j + 1) & mask;
                if (keys[j] == 0) break;
                int home = slot(keys[j] - 1, mask);
                boolean movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
                if (movable) {
                    keys[hole] = keys[j];
                    multiplicity[hole] = multiplicity[j];
                    hole = j;
                }
            }
            keys[hole] = 0;
            multiplicity[hole] = 0;
            size--;
        }

        int[] toSortedArray() {
            int[] out = new int[size];
            int n = 0;
            for (int k : keys) if (k != 0) out[n++] = k - 1;
            Arrays.sort(out);
            return out;
        }

        private int find(int key) {
            int mask = keys.length - 1;
            int i = slot(key, mask);
            while (keys[i] != 0 && keys[i] != key + 1) i = (i + 1) & mask;
            return i;
        }

        private static int slot(int key, int mask) {
            return (key * 0x9E3779B9 >>> 7) & mask;
        }

        private void grow() {
            int[] oldKeys = keys;
            int[] oldMult = multiplicity;
            keys = new int[oldKeys.length * 2];
            multiplicity = new int[oldKeys.length * 2];
            for (int i = 0; i < oldKeys.length; i++) {
                if (oldKeys[i] != 0) {
                    int j = find(oldKeys[i] - 1);
                    keys[j] = oldKeys[i];
                    multiplicity[j] = oldMult[i];
                }
            }
        }
    }
}
