package dev.specdiff4j.engine.batch;

/** A request whose KV cache could never fit in the scheduler's memory budget, even with nothing else running. */
public final class KvBudgetException extends IllegalArgumentException {
    public KvBudgetException(String message) {
        super(message);
    }
}
