package dev.specdiff4j.engine.model;

/** More tokens than a model's context can hold. */
public final class ContextLimitException extends RuntimeException {
    private final int requested;
    private final int limit;

    public ContextLimitException(int requested, int limit) {
        super(requested + " tokens do not fit in the model's context of " + limit + " tokens");
        this.requested = requested;
        this.limit = limit;
    }

    public int requested() {
        return requested;
    }

    public int limit() {
        return limit;
    }
}
