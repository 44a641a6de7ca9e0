package dev.specdiff4j.engine.tensor;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A row slice reads the same memory as the rows it covers (a quantized matrix's blocks too) and refuses rows outside. */
class TensorRowSliceTest {
    @Test
    void sliceHoldsTheRowsOfTheMatrix() {
        int rows = 5;
        int cols = 64;
        float[] values = new float[rows * cols];
        for (int i = 0; i < values.length; i++) values[i] = (i % 23) * 0.25f - 2f;
        try (Arena arena = Arena.ofConfined()) {
            for (DType dtype : new DType[] {DType.F32, DType.F16, DType.Q8_0}) {
                Tensor whole = Tensor.of("w", DType.F32, new long[] {rows, cols}, values, arena).convert(dtype, false, arena);
                Tensor slice = whole.rowSlice(2, 3);
                assertThat(slice.shape()).containsExactly(3, cols);
                assertThat(slice.dtype()).isEqualTo(dtype);
                float[] all = whole.toFloatArray();
                float[] expected = new float[3 * cols];
                System.arraycopy(all, 2 * cols, expected, 0, 3 * cols);
                assertThat(slice.toFloatArray()).as("%s", dtype).containsExactly(expected);
                assertThat(slice.data().address()).isEqualTo(whole.data().address() + 2 * whole.rowBytes());
            }
            Tensor t = Tensor.of("w", DType.F32, new long[] {rows, cols}, values, arena);
            assertThatThrownBy(() -> t.rowSlice(3, 3)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("rows 3..6 outside 0..5");
            assertThatThrownBy(() -> t.rowSlice(-1, 1)).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
