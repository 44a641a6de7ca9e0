package dev.specdiff4j.tornado;

/**
 * One step of MDLM's ancestral sampler with the SUBS parameterisation (see the engine's DiffusionSampler), for a
 * block of positions in parallel: {@link #unmask} (greedy or at a temperature, one work-item per position) and the
 * greedy step the device drafter runs, {@link #argmaxChunks} then {@link #unmaskGreedy}, whose argmax is spread over
 * chunks of the vocabulary.
 */
public final class DenoiseKernels {
    /** Slots of the {@code step} array. */
    public static final int STAY = 0;
    public static final int TEMPERATURE = 1;
    /** Logits per work-item in the first half of the greedy step's argmax. */
    public static final int CHUNK = 256;

    private DenoiseKernels() {
    }

    /** Chunks of {@link #CHUNK} logits in a row of {@code vocab}. */
    public static int chunks(int vocab) {
        return (vocab + CHUNK - 1) / CHUNK;
    }

    /**
     * The first half of the greedy step, one work-item per row and chunk: for each still-masked row j (tokens[j] is
     * MASK) and each chunk c of {@link #CHUNK} logits, {@code partial[j·chunks + c]} is the index of the chunk's largest
     * logit, MASK excluded (the lowest such index), or −1 when the chunk holds only MASK or the row is not masked. Rows
     * of a GPT-2 vocabulary are 197 chunks, so the argmax runs on hundreds of work-items instead of one per row.
     */
    public static void argmaxChunks(float[] logits, int[] tokens, int[] partial, int rows, int vocab, int maskId) {
        int chunks = chunks(vocab);
        for (@Parallel int i = 0; i < Meta.fixed(rows * chunks); i++) {
            int j = i / chunks;
            int lo = (i - j * chunks) * CHUNK;
            int hi = Math.min(lo + CHUNK, vocab);
            int base = j * vocab;
            int best = lo == maskId ? lo + 1 : lo;
            if (tokens[j] == maskId) {
                for (int v = best + 1; v < hi; v++) {
                    if (v != maskId && logits[base + v] > logits[base + best]) best = v;
                }
            }
            partial[i] = tokens[j] == maskId && best < hi ? best : -1;
        }
    }

    /**
     * The second half of the greedy step (after {@link #argmaxChunks}), one work-item per row: a row whose token is
     * MASK and whose {@code stay[j]} is at least {@code step[STAY]} (s/t) takes the largest of its chunks' maxima (the
     * lowest index among equal logits, as a sequential argmax); {@code changed[j]} is 1 where it did, else 0.
     */
    public static void unmaskGreedy(float[] logits, int[] partial, int[] tokens, double[] step, double[] stay, int[] changed, int rows,
                                    int vocab, int maskId) {
        int chunks = chunks(vocab);
        for (@Parallel int j = 0; j < Meta.fixed(rows); j++) {
            int base = j * vocab;
            int best = partial[j * chunks]; // chunk 0 always holds a non-MASK id (MASK is the last of at least two)
            for (int c = 1; c < chunks; c++) {
                int candidate = partial[j * chunks + c];
                boolean better = candidate >= 0 && logits[base + Math.max(candidate, 0)] > logits[base + Math.max(best, 0)];
                best = better ? candidate : best;
            }
            boolean take = tokens[j] == maskId && best >= 0 && stay[j] >= step[STAY];
            changed[j] = take ? 1 : 0;
            tokens[j] = take ? best : tokens[j];
        }
    }

    /**
     * For each of {@code rows} positions: a position that is no longer MASK keeps its token; a masked one stays
     * masked when {@code stay[j] < step[STAY]} (s/t), otherwise it takes a token from its logits row with the MASK
     * logit excluded: the argmax when {@code step[TEMPERATURE]} is 0, else the inverse-CDF draw with
     * {@code draw[j]} from softmax(logits / temperature). {@code changed[j]} is set to 1 where the token changed, else 0.
     *
     * @param logits rows of {@code vocab} logits (MASK included)
     */
    public static void unmask(float[] logits, int[] tokens, double[] step, double[] stay, double[] draw, int[] changed,
                              int rows, int vocab, int maskId) {
        for (@Parallel int j = 0; j < Meta.fixed(rows); j++) {
            int base = j * vocab;
            int chosen = -1;
            if (tokens[j] == maskId && stay[j] >= step[STAY]) {
                int best = maskId == 0 ? 1 : 0;
                for (int i = 0; i < vocab; i++) {
                    if (i != maskId && logits[base + i] > logits[base + best]) {
                        best = i;
                    }
                }
                if (step[TEMPERATURE] == 0) {
                    chosen = best;
                } else {
                    double max = logits[base + best];
                    double sum = 0;
                    for (int i = 0; i < vocab; i++) {
                        if (i != maskId) {
                            sum += Math.exp((logits[base + i] - max) / step[TEMPERATURE]);
                        }
                    }
                    double target = draw[j] * sum;
                    double cumulative = 0;
                    int last = -1;
                    for (int i = 0; i < vocab; i++) {
                        if (i != maskId && chosen < 0) {
                            double e = Math.exp((logits[base + i] - max) / step[TEMPERATURE]);
                            if (e > 0) {
                                cumulative += e;
                                last = i;
                                if (target < cumulative) {
                                    chosen = i;
                                }
                            }
                        }
                    }
                    if (chosen < 0) {
                        chosen = last; // the draw fell in the rounding slack at the end
                    }
                }
            }
            // unconditional stores: TornadoVM's OpenCL code generator misplaces stores in the two arms of an if/else here
            tokens[j] = chosen >= 0 ? chosen : tokens[j];
            changed[j] = chosen >= 0 ? 1 : 0;
        }
    }
}
