package dev.specdiff4j.tornado;

/**
 * One step of MDLM's ancestral sampler with the SUBS parameterisation (see the engine's DiffusionSampler), for a
 * block of positions in parallel.
 */
public final class DenoiseKernels {
    /** Slots of the {@code step} array. */
    public static final int STAY = 0;
    public static final int TEMPERATURE = 1;

    private DenoiseKernels() {
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
