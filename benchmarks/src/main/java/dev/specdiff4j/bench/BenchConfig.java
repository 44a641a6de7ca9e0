package dev.specdiff4j.bench;

import dev.specdiff4j.engine.api.GenerationConfig;
import dev.specdiff4j.engine.api.Mode;
import dev.specdiff4j.engine.decoding.AcceptancePolicy;
import dev.specdiff4j.engine.decoding.DraftingConfig;
import dev.specdiff4j.engine.decoding.SamplingConfig;
import dev.specdiff4j.engine.tensor.DType;

import java.util.Locale;

/**
 * One configuration of a sweep. Everything that changes how tokens are produced is here; each one is
 * measured against plain autoregressive decoding in the same run.
 *
 * @param dtype   weights at load time (null: as stored)
 * @param overlap drafting overlapped with verification (the drafter then gets its own thread)
 * @param adaptiveMax 0 for a fixed γ, else adaptive γ in [1, adaptiveMax]
 * @param tree    token-tree budget: 0 linear, N nodes, {@link GenerationConfig#TREE_AUTO} (cost-aware) or
 *                {@link GenerationConfig#TREE_CHAIN} (cost-aware draft length)
 */
public record BenchConfig(Mode mode, int gamma, int steps, double temperature, AcceptancePolicy policy, boolean cached,
                          boolean overlap, int adaptiveMax, DType dtype, int window, int tree) {

    public BenchConfig(Mode mode, int gamma, int steps, double temperature, AcceptancePolicy policy, boolean cached,
                       boolean overlap, int adaptiveMax, DType dtype, int window) {
        this(mode, gamma, steps, temperature, policy, cached, overlap, adaptiveMax, dtype, window, 0);
    }

    public GenerationConfig generation(int maxTokens, long seed) {
        SamplingConfig sampling = new SamplingConfig(temperature, 0, 1.0, seed);
        GenerationConfig.Builder b = GenerationConfig.builder().mode(mode).maxTokens(maxTokens).sampling(sampling).stopAtEos(false)
                .gamma(gamma).steps(steps).overlap(overlap).drafting(new DraftingConfig(window, false, cached));
        if (mode != Mode.AR) b.verify(policy).tree(tree);
        if (adaptiveMax > 0) b.adaptive(new GenerationConfig.AdaptiveGamma(1, adaptiveMax));
        return b.build();
    }

    /** The plain autoregressive baseline with the same sampling. */
    public BenchConfig baseline() {
        return new BenchConfig(Mode.AR, gamma, steps, temperature, policy, cached, false, 0, dtype, window, 0);
    }

    public boolean greedy() {
        return temperature == 0;
    }

    public String label() {
        if (mode == Mode.AR) return "ar";
        StringBuilder b = new StringBuilder(mode.name().toLowerCase(Locale.ROOT));
        b.append(" γ=").append(gamma);
        if (mode == Mode.SPECDIFF) b.append(" T=").append(steps).append(cached ? " cached" : " exact");
        if (adaptiveMax > 0) b.append(" adaptive≤").append(adaptiveMax);
        if (tree != 0) {
            b.append(" tree=").append(tree == GenerationConfig.TREE_AUTO ? "auto" : tree == GenerationConfig.TREE_CHAIN ? "chain" : Integer.toString(tree));
        }
        if (overlap) b.append(" overlap");
        if (!greedy()) b.append(" temp=").append(temperature).append(' ').append(policy.name().toLowerCase(Locale.ROOT));
        if (dtype != null) b.append(' ').append(dtype.displayName());
        return b.toString();
    }
}
