package dev.specdiff4j.engine.api;

import dev.specdiff4j.engine.decoding.AcceptancePolicy;
import dev.specdiff4j.engine.decoding.DraftingConfig;
import dev.specdiff4j.engine.decoding.SamplingConfig;

import java.util.List;

/**
 * One request's settings. Immutable; build with {@link #builder()}. Invalid settings are rejected when
 * built, with a message that says which and why.
 *
 * @param mode        ar, sd or specdiff
 * @param maxTokens   how many tokens to generate at most
 * @param sampling    temperature (0 = greedy), top-k, top-p, seed
 * @param gamma       draft length γ (sd, specdiff)
 * @param steps       denoising steps T of the diffusion drafter (specdiff)
 * @param verify      acceptance policy (sd, specdiff); GREEDY needs temperature 0
 * @param overlap     draft block k+1 while block k is verified (needs drafter and target on separate kernels)
 * @param adaptive    adapt γ to recent acceptance between these bounds, or null for a fixed γ
 * @param drafting    how the diffusion drafter sees the text (window, cache)
 * @param stop        stop strings (the text ends before the first one that appears)
 * @param stopAtEos   end at the model's end-of-text token
 * @param tree        token-tree verification (sd, specdiff): 0 off, N > 0 at most N drafted nodes of depth γ,
 *                    {@link #TREE_AUTO} a size chosen each round from the target's measured cost curve and the recent acceptance,
 *                    {@link #TREE_CHAIN} a linear draft whose length (at most γ) each round chooses the same way
 */
public record GenerationConfig(Mode mode, int maxTokens, SamplingConfig sampling, int gamma, int steps,
                               AcceptancePolicy verify, boolean overlap, AdaptiveGamma adaptive, DraftingConfig drafting,
                               List<String> stop, boolean stopAtEos, int tree) {
    /** The cost-aware tree size. */
    public static final int TREE_AUTO = dev.specdiff4j.engine.decoding.SpeculativeSettings.TREE_AUTO;
    /** The cost-aware draft length (a linear draft cut each round). */
    public static final int TREE_CHAIN = dev.specdiff4j.engine.decoding.SpeculativeSettings.TREE_CHAIN;

    /** A tree setting as users write it: "off" or 0, "auto", "chain", or a node budget. */
    public static int parseTree(String s) {
        String t = s.trim();
        if (t.equalsIgnoreCase("off")) return 0;
        if (t.equalsIgnoreCase("auto")) return TREE_AUTO;
        if (t.equalsIgnoreCase("chain")) return TREE_CHAIN;
        try {
            int n = Integer.parseInt(t);
            if (n >= 0) return n;
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("the tree setting must be off, auto, chain or a node budget of at least 1, got '" + s + "'");
    }

    /** Adaptive draft length: γ moves within [min, max] following the acceptance of recent rounds. */
    public record AdaptiveGamma(int min, int max) {
        public AdaptiveGamma {
            if (min < 1 || max < min) throw new IllegalArgumentException("adaptive γ bounds must satisfy 1 <= min <= max, got " + min + ".." + max);
        }
    }

    public GenerationConfig {
        if (mode == null) throw new IllegalArgumentException("mode is required");
        if (maxTokens < 1) throw new IllegalArgumentException("max tokens must be at least 1, got " + maxTokens);
        if (sampling == null) throw new IllegalArgumentException("sampling settings are required");
        if (gamma < 1 || gamma > 256) throw new IllegalArgumentException("gamma (draft length) must be between 1 and 256, got " + gamma);
        if (steps < 1 || steps > 1024) throw new IllegalArgumentException("steps must be between 1 and 1024, got " + steps);
        if (verify == null) verify = sampling.isGreedy() ? AcceptancePolicy.GREEDY : AcceptancePolicy.STRICT;
        if (verify == AcceptancePolicy.GREEDY && !sampling.isGreedy()) {
            throw new IllegalArgumentException("--verify greedy needs temperature 0; use strict or marginal when sampling");
        }
        if (drafting == null) drafting = DraftingConfig.defaults();
        if (adaptive != null && (gamma < adaptive.min() || gamma > adaptive.max())) {
            throw new IllegalArgumentException("gamma " + gamma + " lies outside the adaptive bounds " + adaptive.min() + ".." + adaptive.max());
        }
        if (tree < TREE_CHAIN || tree > 1024) {
            throw new IllegalArgumentException("the tree budget must be between 1 and 1024 nodes (or auto, or chain), got " + tree);
        }
        if (tree != 0 && overlap) throw new IllegalArgumentException("--tree cannot be combined with --overlap");
        if (tree != 0 && adaptive != null) throw new IllegalArgumentException("--tree chooses its own size; it cannot be combined with --adaptive");
        if (tree != 0 && verify == AcceptancePolicy.MARGINAL) {
            throw new IllegalArgumentException("--tree verifies with greedy or strict acceptance, not marginal");
        }
        stop = stop == null ? List.of() : List.copyOf(stop);
        for (String s : stop) if (s.isEmpty()) throw new IllegalArgumentException("a stop string must not be empty");
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder().mode(mode).maxTokens(maxTokens).sampling(sampling).gamma(gamma).steps(steps).verify(verify)
                .overlap(overlap).adaptive(adaptive).drafting(drafting).stop(stop).stopAtEos(stopAtEos).tree(tree);
    }

    /**
     * The default draft length γ and denoising steps T, chosen on the benchmark's tuning prompts (disjoint from the
     * prompts the benchmarks report): on the demo pair γ = 3, T = 1 was the best specdiff row and within the noise of the
     * best sd row (docs/notes/50-tuning-defaults.md). Its drafter rarely guesses more than the next token, so short
     * drafts of one denoising pass pay best.
     */
    public static final int DEFAULT_GAMMA = 3;
    public static final int DEFAULT_STEPS = 1;
    /**
     * The default γ with a target-conditioned block drafter (the main job's drafter when the bundled models are used): the
     * best measured so far on the demo pair (docs/notes/17-defaults-round2.md says from which runs);
     * {@link #defaultGamma} picks it by drafter kind, for {@link ModelSpec#defaultGamma} and {@link Generator#defaults}.
     */
    public static final int BLOCK_DRAFTER_GAMMA = 4;

    /**
     * The γ a generation in {@code mode} uses when none is given: {@link #BLOCK_DRAFTER_GAMMA}, at most
     * {@code blockDrafterMaxGamma} (its block size less one), when a block drafter drafts; else {@link #DEFAULT_GAMMA}.
     */
    public static int defaultGamma(Mode mode, boolean blockDrafter, int blockDrafterMaxGamma) {
        if (mode != Mode.SPECDIFF || !blockDrafter) return DEFAULT_GAMMA;
        return Math.max(1, Math.min(BLOCK_DRAFTER_GAMMA, blockDrafterMaxGamma));
    }
    /** Token trees are off by default (docs/notes/17-token-trees.md). */
    public static final int DEFAULT_TREE = 0;

    /** A mutable builder with the defaults: specdiff, 128 tokens, greedy, γ = {@value #DEFAULT_GAMMA}, T = {@value #DEFAULT_STEPS}, no overlap. */
    public static final class Builder {
        private Mode mode = Mode.SPECDIFF;
        private int maxTokens = 128;
        private SamplingConfig sampling = SamplingConfig.greedy();
        private int gamma = DEFAULT_GAMMA;
        private int steps = DEFAULT_STEPS;
        private AcceptancePolicy verify;
        private boolean overlap;
        private AdaptiveGamma adaptive;
        private DraftingConfig drafting = DraftingConfig.defaults();
        private List<String> stop = List.of();
        private boolean stopAtEos = true;
        private int tree = DEFAULT_TREE;

        public Builder mode(Mode v) { mode = v; return this; }
        public Builder maxTokens(int v) { maxTokens = v; return this; }
        public Builder sampling(SamplingConfig v) { sampling = v; return this; }
        public Builder gamma(int v) { gamma = v; return this; }
        public Builder steps(int v) { steps = v; return this; }
        public Builder verify(AcceptancePolicy v) { verify = v; return this; }
        public Builder overlap(boolean v) { overlap = v; return this; }
        public Builder adaptive(AdaptiveGamma v) { adaptive = v; return this; }
        public Builder drafting(DraftingConfig v) { drafting = v; return this; }
        public Builder stop(List<String> v) { stop = v; return this; }
        public Builder stopAtEos(boolean v) { stopAtEos = v; return this; }
        public Builder tree(int v) { tree = v; return this; }

        public GenerationConfig build() {
            return new GenerationConfig(mode, maxTokens, sampling, gamma, steps, verify, overlap, adaptive, drafting, stop, stopAtEos, tree);
        }
    }
}
