package dev.specdiff4j.weights;

import dev.specdiff4j.engine.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * convert_hf_to_gguf.py's {@code LlamaModel.permute} of the q/k projection rows of llama/mistral models: {@code reshape(heads,
 * 2, rows/heads/2, cols).swapaxes(1, 2)}, so that within each head GGUF row {@code 2i + j} holds HF row {@code j·headDim/2 + i}
 * (the inverse of {@code TransformerLoader.unpermuteRopeRows}). Rows are whole quantization blocks, so it moves bytes and
 * works for every dtype.
 */
final class RopePermutation {
    private RopePermutation() {
    }

    static Tensor permute(Tensor hf, int heads, Arena arena) {
        int rows = hf.rows();
        if (rows % heads != 0 || (rows / heads) % 2 != 0) {
            throw new ConversionException(hf.name() + ": " + rows + " rows cannot be " + heads + " RoPE heads");
        }
        int headDim = rows / heads;
        int half = headDim / 2;
        long rowBytes = hf.rowBytes();
        MemorySegment out = arena.allocate(Math.max(1, hf.byteSize()), 64).asSlice(0, hf.byteSize());
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < half; i++) {
                for (int j = 0; j < 2; j++) {
                    long from = (long) (h * headDim + j * half + i) * rowBytes;
                    long to = (long) (h * headDim + 2 * i + j) * rowBytes;
                    MemorySegment.copy(hf.data(), from, out, to, rowBytes);
                }
            }
        }
        return new Tensor(hf.name(), hf.dtype(), hf.shape(), out);
    }
}
