package dev.specdiff4j.engine.decoding;

/**
 * How the diffusion drafter sees the text.
 *
 * @param window       the drafter sees at most the last {@code window} committed tokens (fewer when the
 *                     window and the block would not fit the drafter's model length: the block always fits)
 * @param padToModel   pad the input with MASK up to the drafter's model length (the training shape)
 *                     instead of ending it right after the γ block
 * @param cachedPrefix compute the prefix's keys and values once per round and recompute only the block
 *                     in each denoising step (an approximation; verification keeps the output exact)
 */
public record DraftingConfig(int window, boolean padToModel, boolean cachedPrefix) {
    /**
     * The default window. The drafter's pass over the window is most of its cost. Chosen on the benchmark's tuning prompts
     * (never on the prompts it reports), demo pair, γ = 3, T = 1: windows of 8, 16, 32 and 64 gave α 0.244, 0.271, 0.243
     * and 0.227 and speedups over AR of 0.92×, 0.95×, 0.85× and 0.69× (docs/notes/50-tuning-defaults.md).
     */
    public static final int DEFAULT_WINDOW = 16;

    public DraftingConfig {
        if (window < 1) throw new IllegalArgumentException("the drafter window must be at least 1 token, got " + window);
    }

    public static DraftingConfig defaults() {
        return new DraftingConfig(DEFAULT_WINDOW, false, true);
    }
}
