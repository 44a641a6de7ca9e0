package dev.specdiff4j.engine.api;

/** Streams a generation as it happens. Called on the generating thread; keep it quick. */
public interface GenerationListener {
    /** New text. Never splits a character; text that might start a stop string is held back until it cannot. */
    void onText(String text);

    /** The ids just committed (one, or several after a speculative round). */
    default void onTokens(int[] ids) {
    }

    GenerationListener NONE = text -> { };
}
