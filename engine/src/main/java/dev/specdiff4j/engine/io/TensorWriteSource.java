package dev.specdiff4j.engine.io;

import dev.specdiff4j.engine.tensor.DType;

import java.io.IOException;
import java.io.OutputStream;

/**
 * A tensor to be written by a streaming writer: its name, dtype and row-major shape, and a callback
 * that writes exactly its bytes when the writer gets to it (so a multi-gigabyte checkpoint never has
 * to be in memory at once).
 */
public record TensorWriteSource(String name, DType dtype, long[] shape, Body body) {
    @FunctionalInterface
    public interface Body {
        void writeTo(OutputStream out) throws IOException;
    }

    public long elementCount() {
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        return n;
    }

    public long byteSize() {
        long bytes = dtype.bytesFor(elementCount());
        if (bytes < 0) throw new IllegalArgumentException(name + ": shape does not fill whole " + dtype + " blocks");
        return bytes;
    }
}
