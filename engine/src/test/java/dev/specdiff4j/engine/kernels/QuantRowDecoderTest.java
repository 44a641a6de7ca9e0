package dev.specdiff4j.engine.kernels;

import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.engine.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The matmul's row decoding of the 4-, 5- and 6-bit formats gives exactly the scalar reference dequantizer's floats, for
 * every bit pattern: the weights are random bytes (every nibble and high-bit combination, scales of every sign and size,
 * F16 infinities and NaNs included), decoded a few rows at a time from awkward starting rows.
 */
class QuantRowDecoderTest {
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q4_0", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
    void decodedRowsAreTheReferenceFloatsBitForBit(DType dtype) {
        Random rnd = new Random(dtype.ordinal());
        try (Arena arena = Arena.ofConfined()) {
            for (int cols : new int[] {256, 512, 768}) {
                int rows = 13;
                long bytes = dtype.bytesFor((long) rows * cols);
                byte[] raw = new byte[(int) bytes];
                rnd.nextBytes(raw);
                MemorySegment data = arena.allocate(bytes, 64);
                MemorySegment.copy(raw, 0, data, ValueLayout.JAVA_BYTE, 0, raw.length);
                Tensor w = new Tensor("w", dtype, new long[] {rows, cols}, data);
                float[] reference = w.toFloatArray();
                MemorySegment decoded = arena.allocate(4L * 4 * cols, 64);
                for (int first : new int[] {0, 1, 5, 9, 12}) {
                    int n = Math.min(4, rows - first);
                    RowDecoder.decode(w, first, n, decoded);
                    for (int i = 0; i < n * cols; i++) {
                        float expected = reference[first * cols + i];
                        float actual = decoded.getAtIndex(ValueLayout.JAVA_FLOAT, i);
                        assertThat(Float.floatToIntBits(actual)).as("%s cols=%d row %d value %d (%s vs %s)", dtype, cols, first + i / cols,
                                i % cols, actual, expected).isEqualTo(Float.floatToIntBits(expected));
                    }
                }
            }
        }
    }
}
