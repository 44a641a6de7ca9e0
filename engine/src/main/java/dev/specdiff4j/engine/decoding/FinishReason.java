package dev.specdiff4j.engine.decoding;

/** Why a generation ended. */
public enum FinishReason {
    /** The requested number of tokens was generated. */
    LENGTH,
    /** The model produced its end-of-text token. */
    EOS,
    /** A stop string appeared. */
    STOP,
    /** The target model's context is full. */
    CONTEXT,
    /** The caller cancelled. */
    CANCELLED
}
