package dev.specdiff4j.weights;

/** Reports a conversion's progress: bytes written so far out of the total, and the tensor being written. */
@FunctionalInterface
public interface ConversionProgress {
    void update(long bytesDone, long bytesTotal, String tensor);

    /** Something the user should know that is not progress, e.g. what was left behind by an interrupted run and cleared. */
    default void note(String message) {
    }

    ConversionProgress NONE = (done, total, tensor) -> { };
}
