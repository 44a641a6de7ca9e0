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
 */
public record GenerationConfig(Mode mode, int maxTokens, SamplingConfig sampling, int gamma, int steps,
                               AcceptancePolicy verify, boolean overlap, AdaptiveGamma adaptive, DraftingConfig drafting,
                               List<String> stop, boolean stopAtEos) {

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
        stop = stop == null ? List.of() : List.copyOf(stop);
        for (String s : stop) if (s.isEmpty()) throw new IllegalArgumentException("a stop string must not be empty");
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder().mode(mode).maxTokens(maxTokens).sampling(sampling).gamma(gamma).steps(steps).verify(verify)
                .overlap(overlap).adaptive(adaptive).drafting(drafting).stop(stop).stopAtEos(stopAtEos);
    }

    /**
     * The default draft length γ and denoising steps T, chosen on the benchmark's tuning prompts (disjoint from the
     * prompts the benchmarks report): on the demo pair γ = 3, T = 1 was the best specdiff row and within the noise of the
     * best sd row (docs/notes/50-tuning-defaults.md). Its drafter rarely guesses more than the next token, so short
     * drafts of one denoising pass pay best.
     */
    public static final int DEFAULT_GAMMA = 3;
    public static final int DEFAULT_STEPS = 1;

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

        public GenerationConfig build() {
            return new GenerationConfig(mode, maxTokens, sampling, gamma, steps, verify, overlap, adaptive, drafting, stop, stopAtEos);
        }
    }
}
