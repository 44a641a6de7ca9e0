package dev.specdiff4j.weights;

import dev.specdiff4j.engine.io.TensorWriteSource;
import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.engine.tensor.Tensor;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A tensor to write: a source tensor (memory-mapped), converted to a dtype and maybe transposed when
 * its turn comes, in a scratch arena freed right after. Memory use is bounded by the largest tensor,
 * whatever the size of the checkpoint.
 */
record OutputTensor(String name, DType dtype, Tensor source, boolean transpose, int ropeHeads) {

    /** A tensor written as it is (after the dtype change and maybe the transpose). */
    OutputTensor(String name, DType dtype, Tensor source, boolean transpose) {
        this(name, dtype, source, transpose, 0);
    }

    /** A llama/mistral q or k projection of {@code heads} heads, its rows permuted for llama.cpp's RoPE on the way out. */
    static OutputTensor ropePermuted(String name, DType dtype, Tensor source, int heads) {
        return new OutputTensor(name, dtype, source, false, heads);
    }

    long[] shape() {
        long[] s = source.shape();
        return transpose ? new long[] {s[1], s[0]} : s;
    }

    long byteSize() {
        long n = 1;
        for (long d : shape()) n *= d;
        long bytes = dtype.bytesFor(n);
        if (bytes < 0 || (dtype.isQuantized() && dtype.bytesFor(shape()[shape().length - 1]) < 0)) {
            throw new ConversionException("tensor '" + source.name() + "' " + Arrays.toString(shape())
                    + " cannot be stored as " + dtype.displayName() + ": its rows are not whole blocks of " + dtype.blockElements());
        }
        return bytes;
    }

    TensorWriteSource toWriteSource(AtomicLong done, long total, ConversionProgress progress) {
        return new TensorWriteSource(name, dtype, shape(), out -> {
            try (Arena arena = Arena.ofConfined()) {
                Tensor converted = transpose || dtype != source.dtype() ? source.convert(dtype, transpose, arena) : source;
                if (ropeHeads > 0) converted = RopePermutation.permute(converted, ropeHeads, arena);
                write(converted.data(), out);
            } catch (IllegalArgumentException e) {
                throw new ConversionException("tensor '" + source.name() + "': " + e.getMessage());
            }
            progress.update(done.addAndGet(byteSize()), total, name);
        });
    }

    private static void write(MemorySegment data, OutputStream out) throws IOException {
        byte[] chunk = new byte[1 << 20];
        long size = data.byteSize();
        for (long offset = 0; offset < size; offset += chunk.length) {
            int n = (int) Math.min(chunk.length, size - offset);
            ByteBuffer view = data.asSlice(offset, n).asByteBuffer();
            view.get(chunk, 0, n);
            out.write(chunk, 0, n);
        }
    }
}
