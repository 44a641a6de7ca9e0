package dev.specdiff4j.server;

import dev.specdiff4j.engine.model.CausalLanguageModel;
import dev.specdiff4j.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The log-probability of each generated token under the target model (its plain softmax: temperature 1,
 * before top-k and top-p), with the most likely alternatives. The target scores the tokens in a session of
 * its own, fed the prompt and then each round's tokens as they are committed. Because a token's logits do
 * not depend on the batch it is computed in, these are the very distributions the generation drew from.
 * Costs one extra target pass per round; only requests that ask for log-probabilities pay it.
 */
final class TokenLogprobs implements AutoCloseable {
    /** One generated token: its id and log-probability, and the top alternatives (most likely first). */
    record Entry(int id, double logprob, int[] topIds, double[] topLogprobs) {
    }

    private final CausalLanguageModel.Session session;
    private final int top;
    private float[] next;

    TokenLogprobs(CausalLanguageModel target, int[] prompt, int top) {
        this.session = target.newSession();
        this.top = top;
        try {
            this.next = session.forward(prompt, 1)[0];
        } catch (RuntimeException e) {
            session.close();
            throw e;
        }
    }

    /** Entries for the tokens just committed, in order. */
    List<Entry> accept(int[] tokens) {
        List<Entry> entries = new ArrayList<>(tokens.length);
        if (tokens.length == 0) return entries;
        // row j follows tokens[j]; the last one is needed only if another round comes, and may not fit the context
        int room = session.contextLength() - session.length();
        int fed = Math.min(tokens.length, room);
        float[][] rows = fed == 0 ? new float[0][] : session.forward(Arrays.copyOf(tokens, fed), fed);
        for (int j = 0; j < tokens.length; j++) {
            float[] logits = j == 0 ? next : rows[j - 1];
            entries.add(entry(logits, tokens[j]));
        }
        next = fed == tokens.length ? rows[fed - 1] : null;
        return entries;
    }

    private Entry entry(float[] logits, int id) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) max = Math.max(max, v);
        double sum = 0;
        for (float v : logits) sum += Math.exp(v - max);
        double logZ = max + Math.log(sum);
        int k = Math.min(top, logits.length);
        int[] ids = new int[k];
        double[] lps = new double[k];
        if (k > 0) {
            // a partial selection: keep the k largest, ties to the smaller id
            Arrays.fill(ids, -1);
            for (int i = 0; i < logits.length; i++) {
                int pos = k;
                while (pos > 0 && (ids[pos - 1] < 0 || logits[i] > logits[ids[pos - 1]])) pos--;
                if (pos < k) {
                    System.arraycopy(ids, pos, ids, pos + 1, k - pos - 1);
                    ids[pos] = i;
                }
            }
            for (int i = 0; i < k; i++) lps[i] = logits[ids[i]] - logZ;
        }
        return new Entry(id, logits[id] - logZ, ids, lps);
    }

    /** The text of one token (U+FFFD where it holds part of a character). */
    static String text(Tokenizer tokenizer, int id) {
        return tokenizer.decode(new int[] {id});
    }

    /** The raw bytes of one token as unsigned values, as OpenAI's "bytes". */
    static List<Integer> bytes(Tokenizer tokenizer, int id) {
        byte[] b = tokenizer.tokenBytes(id);
        List<Integer> out = new ArrayList<>(b.length);
        for (byte x : b) out.add(x & 0xff);
        return out;
    }

    @Override
    public void close() {
        session.close();
    }
}
