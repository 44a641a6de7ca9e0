package dev.specdiff4j.weights;

/** Reports a conversion's progress: bytes written so far out of the total, and the tensor being written. */
@FunctionalInterface
public interface ConversionProgress {
    void update(long bytesDone, long bytesTotal, String tensor);

    ConversionProgress NONE = (done, total, tensor) -> { };
}
