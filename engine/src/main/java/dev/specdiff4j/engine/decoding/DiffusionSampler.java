package dev.specdiff4j.engine.decoding;

import dev.specdiff4j.engine.model.MaskedDiffusionLm;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * MDLM's ancestral sampler with the {@code ddpm_cache} shortcut, SUBS parameterisation (shared/SPECDIFF.md
 * §2). A block of γ MASK tokens after the context is denoised over T steps on the linear time grid
 * t_i = 1 − i(1 − ε)/T: at each step every still-masked position independently stays masked with
 * probability s/t, or takes a token drawn from its row (after temperature / top-k / top-p). The
 * probability rows are reused while no position changes. Positions still masked after the last step take
 * the argmax of one more pass. The context is never masked.
 *
 * <p>Passes are exact (the whole sequence every time) or cached: the first pass of a draft runs the whole
 * sequence and keeps every position's keys and values; later passes recompute only the block.
 */
public final class DiffusionSampler {
    public static final double EPSILON = 1e-5;

    /**
     * A drafted block.
     *
     * @param tokens   the γ drafted tokens
     * @param rows     for each drafted token, the probability row (over the target vocabulary) it was drawn
     *                 from; null when sampling is greedy (the rows are not needed then)
     * @param sequence the drafter's final input sequence: the context window followed by the block (and
     *                 padding, if any)
     * @param passes   model passes run
     * @param rowsComputed positions pushed through the model over all passes (the cost measure)
     */
    public record Draft(int[] tokens, double[][] rows, int[] sequence, int passes, long rowsComputed) {
    }

    private final MaskedDiffusionLm model;
    private final int targetVocab;

    /** @param targetVocab the size of the target's vocabulary: the drafter's without MASK */
    public DiffusionSampler(MaskedDiffusionLm model, int targetVocab) {
        if (targetVocab != model.config().vocabSize() - 1) {
            throw new IllegalArgumentException("the drafter's vocabulary (" + model.config().vocabSize()
                    + " with MASK) must be the target's (" + targetVocab + ") plus one MASK token");
        }
        this.model = model;
        this.targetVocab = targetVocab;
    }

    public MaskedDiffusionLm model() {
        return model;
    }

    /** The longest context window that leaves room for a block of γ in the drafter's model length. */
    public int maxWindow(int gamma) {
        return model.config().modelLength() - gamma;
    }

    public Draft draft(int[] context, int gamma, int steps, SamplingConfig sampling, DraftingConfig drafting, SplittableRandom random) {
        return draft(context, gamma, steps, sampling, drafting, random, () -> false);
    }

    /** As {@link #draft(int[], int, int, SamplingConfig, DraftingConfig, SplittableRandom)}; returns null once {@code abandon} turns true. */
    public Draft draft(int[] context, int gamma, int steps, SamplingConfig sampling, DraftingConfig drafting, SplittableRandom random,
                       java.util.function.BooleanSupplier abandon) {
        if (gamma < 1) throw new IllegalArgumentException("a draft needs at least one position");
        if (steps < 1) throw new IllegalArgumentException("denoising needs at least one step");
        int modelLength = model.config().modelLength();
        if (gamma >= modelLength) throw new IllegalArgumentException("a block of " + gamma + " does not fit the drafter's model length " + modelLength);
        int window = Math.min(Math.min(drafting.window(), context.length), modelLength - gamma);
        int length = drafting.padToModel() ? modelLength : window + gamma;
        int mask = model.maskId();
        int[] ids = new int[length];
        System.arraycopy(context, context.length - window, ids, 0, window);
        Arrays.fill(ids, window, length, mask);
        try (MaskedDiffusionLm.Passes cache = model.passes(length)) {
            return denoise(ids, window, length, gamma, steps, sampling, drafting, random, abandon, cache);
        }
    }

    private Draft denoise(int[] ids, int window, int length, int gamma, int steps, SamplingConfig sampling, DraftingConfig drafting,
                          SplittableRandom random, java.util.function.BooleanSupplier abandon, MaskedDiffusionLm.Passes cache) {
        int mask = model.maskId();
        int[] tokens = new int[gamma];
        Arrays.fill(tokens, mask);
        double[][] rows = sampling.isGreedy() ? null : new double[gamma][];
        float[][] logits = null;
        int passes = 0;
        long rowsComputed = 0;
        int masked = gamma;
        for (int i = 0; i < steps && masked > 0; i++) {
            if (abandon.getAsBoolean()) return null;
            double t = 1 - i * (1 - EPSILON) / steps;
            double s = 1 - (i + 1) * (1 - EPSILON) / steps;
            if (logits == null) {
                boolean full = passes == 0 || !drafting.cachedPrefix();
                logits = full ? cache.full(ids, window, gamma) : cache.refresh(window, Arrays.copyOfRange(ids, window, window + gamma));
                rowsComputed += full ? length : gamma;
                passes++;
            }
            boolean changed = false;
            for (int j = 0; j < gamma; j++) {
                if (tokens[j] != mask) continue;
                if (random.nextDouble() < s / t) continue; // stays masked
                double[] p = Probabilities.of(logits[j], targetVocab, sampling);
                int token = sampling.isGreedy() ? Probabilities.argmax(logits[j], targetVocab) : Probabilities.draw(p, random.nextDouble());
                tokens[j] = token;
                ids[window + j] = token;
                if (rows != null) rows[j] = p;
                masked--;
                changed = true;
            }
            if (changed) logits = null; // ddpm_cache: rows stay valid only while nothing changes
        }
        if (masked > 0) {
            // noise removal: whatever is still masked takes the argmax of one more pass
            if (logits == null) {
                boolean full = passes == 0 || !drafting.cachedPrefix();
                logits = full ? cache.full(ids, window, gamma) : cache.refresh(window, Arrays.copyOfRange(ids, window, window + gamma));
                rowsComputed += full ? length : gamma;
                passes++;
            }
            for (int j = 0; j < gamma; j++) {
                if (tokens[j] != mask) continue;
                tokens[j] = Probabilities.argmax(logits[j], targetVocab);
                ids[window + j] = tokens[j];
                if (rows != null) {
                    rows[j] = new double[targetVocab];
                    rows[j][tokens[j]] = 1; // a deterministic choice: its distribution is a point mass
                }
            }
        }
        return new Draft(tokens, rows, ids, passes, rowsComputed);
    }
}
