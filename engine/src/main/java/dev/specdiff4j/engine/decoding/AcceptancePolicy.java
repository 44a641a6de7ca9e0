package dev.specdiff4j.engine.decoding;

import java.util.Locale;

/** Acceptance policies of speculative decoding (docs/ALGORITHM.md, "Acceptance policies"). */
public enum AcceptancePolicy {
    /** Temperature 0: accept a drafted token iff it is the target's argmax. Output = plain greedy decoding. */
    GREEDY,
    /** Treat the draft as fixed: accept with probability p(d); on rejection sample p without d. Lossless for any drafter. */
    STRICT,
    /**
     * Accept with min(1, p/q) using the drafter's own row q; on rejection sample max(0, p − q). Lossless
     * for the autoregressive drafter and for the diffusion drafter with one denoising step (T = 1); with
     * T > 1 a late-unmasked position's q is not its true conditional and the output is slightly biased.
     */
    MARGINAL;

    public static AcceptancePolicy parse(String s) {
        try {
            return valueOf(s.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown acceptance policy '" + s + "': use greedy, strict or marginal");
        }
    }
}
