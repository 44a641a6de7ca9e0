package dev.specdiff4j.engine.api;

import java.util.Locale;

/** How tokens are generated. */
public enum Mode {
    /** Plain autoregressive decoding with the target alone. */
    AR,
    /** Speculative decoding with a small autoregressive drafter (the classic baseline). */
    SD,
    /** Speculative diffusion decoding: a masked-diffusion drafter proposes a whole block at once. */
    SPECDIFF;

    public static Mode parse(String s) {
        try {
            return valueOf(s.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown mode '" + s + "': use ar, sd or specdiff");
        }
    }
}
