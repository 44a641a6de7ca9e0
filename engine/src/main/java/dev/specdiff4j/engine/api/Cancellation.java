package dev.specdiff4j.engine.api;

/** Lets another thread stop a generation; the generation ends at the next token or round with reason CANCELLED. */
public final class Cancellation {
    private volatile boolean cancelled;

    public void cancel() {
        cancelled = true;
    }

    public boolean isCancelled() {
        return cancelled;
    }
}
