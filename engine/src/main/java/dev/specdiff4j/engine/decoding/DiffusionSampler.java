package dev.specdiff4j.engine.decoding;

import dev.specdiff4j.engine.model.MaskedDiffusionLm;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * MDLM's ancestral sampler with the {@code ddpm_cache} shortcut, SUBS parameterisation (docs/ALGORITHM.md,
 * "The MDLM drafter"). A block of γ MASK tokens after the context is denoised over T steps on the linear
 * time grid t_i = 1 − i(1 − ε)/T: at each step every still-masked position independently stays masked with
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

    /**
     * The logits of one pass over {@code context}'s last window followed by {@code gamma} MASK positions (and padding, if
     * configured): the block's per-position marginals, rows over the drafter's vocabulary (MASK last).
     */
    public float[][] marginals(int[] context, int gamma, DraftingConfig drafting) {
        int modelLength = model.config().modelLength();
        if (gamma < 1 || gamma >= modelLength) throw new IllegalArgumentException("a block of " + gamma + " does not fit the drafter's model length " + modelLength);
        int window = Math.min(Math.min(drafting.window(), context.length), modelLength - gamma);
        int length = drafting.padToModel() ? modelLength : window + gamma;
        int[] ids = new int[length];
        System.arraycopy(context, context.length - window, ids, 0, window);
        Arrays.fill(ids, window, length, model.maskId());
        try (MaskedDiffusionLm.Passes cache = model.passes(length)) {
            return cache.full(ids, window, gamma);
        }
    }

    private Draft denoise(int[] ids, int window, int length, int gamma, int steps, SamplingConfig sampling, DraftingConfig drafting,
                          SplittableRandom random, java.util.function.BooleanSupplier abandon, MaskedDiffusionLm.Passes cache) {
        int mask = model.maskId();
        double[][] rows = sampling.isGreedy() ? null : new double[gamma][];
        int passes = 0;
        long rowsComputed = 0;
        int masked = gamma;
        // The uniforms of a step are drawn before its pass, in the order the rule consumes them (each masked position's
        // stay draw, then its token draw if it unmasks). Whether a position unmasks depends only on them, so a step in
        // which every position stays runs no pass: the next pass sees the same sequence, and ddpm_cache's reuse of the
        // rows while nothing changes is kept without computing them early.
        for (int i = 0; i < steps && masked > 0; i++) {
            if (abandon.getAsBoolean()) return null;
            double t = 1 - i * (1 - EPSILON) / steps;
            double s = 1 - (i + 1) * (1 - EPSILON) / steps;
            double stayProbability = s / t;
            double[] stay = new double[gamma];
            double[] draw = new double[gamma];
            int unmasking = 0;
            for (int j = 0; j < gamma; j++) {
                if (ids[window + j] != mask) continue;
                stay[j] = random.nextDouble();
                if (stay[j] < stayProbability) continue;
                if (rows != null) draw[j] = random.nextDouble();
                unmasking++;
            }
            if (unmasking == 0) continue;
            boolean full = passes == 0 || !drafting.cachedPrefix();
            rowsComputed += full ? length : gamma;
            passes++;
            if (rows == null) {
                int[] block = cache.passAndUnmask(full, ids, window, gamma, stayProbability, stay);
                masked -= apply(ids, window, block, unmasking);
                continue;
            }
            float[][] logits = full ? cache.full(ids, window, gamma) : cache.refresh(window, Arrays.copyOfRange(ids, window, window + gamma));
            for (int j = 0; j < gamma; j++) {
                if (ids[window + j] != mask || stay[j] < stayProbability) continue;
                rows[j] = Probabilities.of(logits[j], targetVocab, sampling);
                ids[window + j] = Probabilities.draw(rows[j], draw[j]);
                masked--;
            }
        }
        if (masked > 0) {
            // noise removal: whatever is still masked takes the argmax of one more pass
            boolean full = passes == 0 || !drafting.cachedPrefix();
            rowsComputed += full ? length : gamma;
            passes++;
            int[] block = cache.passAndUnmask(full, ids, window, gamma, 0, new double[gamma]);
            for (int j = 0; j < gamma; j++) {
                if (rows != null && ids[window + j] == mask) {
                    rows[j] = new double[targetVocab];
                    rows[j][block[j]] = 1; // a deterministic choice: its distribution is a point mass
                }
            }
            apply(ids, window, block, masked);
        }
        return new Draft(Arrays.copyOfRange(ids, window, window + gamma), rows, ids, passes, rowsComputed);
    }

    /** Writes a block that came back from a greedy step into the sequence, checking that it unmasked what the rule said. */
    private int apply(int[] ids, int window, int[] block, int expected) {
        int mask = model.maskId();
        int changed = 0;
        for (int j = 0; j < block.length; j++) {
            int before = ids[window + j];
            if (block[j] == before) continue;
            if (before != mask || block[j] < 0 || block[j] >= targetVocab) {
                throw new IllegalStateException("the denoising step turned position " + j + " from " + before + " into " + block[j]);
            }
            ids[window + j] = block[j];
            changed++;
        }
        if (changed != expected) {
            throw new IllegalStateException("the denoising step unmasked " + changed + " positions where the rule unmasks " + expected);
        }
        return changed;
    }
}
