package dev.specdiff4j.engine.decoding;

import dev.specdiff4j.engine.model.MaskedDiffusionLm;

import java.util.Arrays;

/**
 * SpecDiff's drafter: the MDLM sampler denoises a block after the last {@code window} committed tokens in
 * T steps. The block always holds γ+1 positions: γ are verified and the last is the drafter's guess of the
 * target's bonus token (used by overlapped scheduling). Drafting the extra position in every mode keeps
 * the γ verified tokens the same whether overlap is on or off.
 */
public final class DiffusionDrafter implements Drafter {
    private final DiffusionSampler sampler;
    private final int steps;
    private final DraftingConfig drafting;

    public DiffusionDrafter(MaskedDiffusionLm model, int targetVocab, int steps, DraftingConfig drafting) {
        this.sampler = new DiffusionSampler(model, targetVocab);
        this.steps = steps;
        this.drafting = drafting;
    }

    @Override
    public String describe() {
        return "diffusion drafter (" + sampler.model().describe() + "), T=" + steps + ", window " + drafting.window()
                + (drafting.cachedPrefix() ? ", cached prefix" : ", exact") + (drafting.padToModel() ? ", padded" : "");
    }

    @Override
    public int draftVocab() {
        return sampler.model().config().vocabSize() - 1;
    }

    public int maxGamma() {
        return sampler.model().config().modelLength() - 2;
    }

    /** Nothing: each proposal builds its keys and values anew for the window it drafts from, and drops them after. */
    @Override
    public long sessionBytes() {
        return 0;
    }

    @Override
    public Session open(SamplingConfig sampling, long seed) {
        return new Session() {
            @Override
            public Proposal propose(int[] committed, int gamma, boolean withGuess, java.util.function.BooleanSupplier abandon) {
                if (gamma + 1 > maxGamma()) {
                    throw new IllegalArgumentException("gamma " + gamma + " does not fit the drafter's model length "
                            + sampler.model().config().modelLength());
                }
                DiffusionSampler.Draft d = sampler.draft(committed, gamma + 1, steps, sampling, drafting,
                        Seeds.at(seed, 1, committed.length), abandon);
                if (d == null) return null;
                double[][] rows = d.rows() == null ? null : Arrays.copyOf(d.rows(), gamma);
                return new Proposal(Arrays.copyOf(d.tokens(), gamma), rows, d.tokens()[gamma], d.passes());
            }

            @Override
            public TreeCandidates candidates(int[] committed, int gamma, int width) {
                if (gamma + 1 > maxGamma()) {
                    throw new IllegalArgumentException("gamma " + gamma + " does not fit the drafter's model length "
                            + sampler.model().config().modelLength());
                }
                float[][] logits = sampler.marginals(committed, gamma, drafting);
                double[][] rows = new double[gamma][];
                for (int j = 0; j < gamma; j++) rows[j] = TreeCandidates.softmax(logits[j], draftVocab());
                return TreeCandidates.fromRows(rows, width, 1);
            }

            @Override
            public void close() {
            }
        };
    }
}
