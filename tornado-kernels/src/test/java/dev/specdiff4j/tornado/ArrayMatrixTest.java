package dev.specdiff4j.tornado;

import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.engine.tensor.Halfs;
import dev.specdiff4j.engine.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ArrayMatrixTest {
    @Test
    void sixteenBitMatricesOfADtypeShareOneDecodingTable() {
        Random rnd = new Random(5);
        ArrayMatrix f16 = ArrayMatrix.of(Agreement.weights(rnd, DType.F16, 3, 7));
        ArrayMatrix otherF16 = ArrayMatrix.of(Agreement.weights(rnd, DType.F16, 5, 2));
        ArrayMatrix bf16 = ArrayMatrix.of(Agreement.weights(rnd, DType.BF16, 3, 7));
        ArrayMatrix otherBf16 = ArrayMatrix.of(Agreement.weights(rnd, DType.BF16, 4, 4));

        // one array per dtype: a device graph holds each table once, however many matrices read it
        assertThat(otherF16.table()).isSameAs(f16.table());
        assertThat(otherBf16.table()).isSameAs(bf16.table());
        assertThat(f16.table()).containsExactly(Halfs.f16Table());
        assertThat(bf16.table()).containsExactly(Halfs.bf16Table());
    }

    /** A stack's matmul is, row for row, the parts' matmuls (bit for bit: the same dot products), in every dtype. */
    @Test
    void stackedMatricesMultiplyAsTheirPartsOneAfterTheOther() {
        Random rnd = new Random(6);
        for (DType dtype : new DType[] {DType.F32, DType.F16, DType.BF16, DType.Q8_0}) {
            int cols = dtype == DType.Q8_0 ? 64 : 7; // 3 x 7: an odd element count, so the second part starts mid-word
            Tensor a = Agreement.weights(rnd, dtype, 3, cols);
            Tensor b = Agreement.weights(rnd, dtype, 2, cols);
            Tensor c = Agreement.weights(rnd, dtype, 5, cols);
            ArrayMatrix stack = ArrayMatrix.stack(List.of(a, b, c));
            assertThat(stack.dtype()).isEqualTo(dtype);
            assertThat(stack.rows()).isEqualTo(10);
            int k = 3;
            float[] x = Agreement.random(rnd, k * cols, 1);
            float[] stacked = new float[k * 10];
            stack.matmul(x, new float[10], stacked, k);
            int row0 = 0;
            for (Tensor part : List.of(a, b, c)) {
                float[] alone = new float[k * part.rows()];
                ArrayMatrix.of(part).matmul(x, new float[part.rows()], alone, k);
                for (int t = 0; t < k; t++) {
                    for (int r = 0; r < part.rows(); r++) {
                        assertThat(stacked[t * 10 + row0 + r]).as("%s part row %d token %d", dtype, r, t).isEqualTo(alone[t * part.rows() + r]);
                    }
                }
                row0 += part.rows();
            }
        }
    }

    @Test
    void partsOfDifferentDtypesStackAsTheirValuesInF32() {
        Random rnd = new Random(7);
        Tensor a = Agreement.weights(rnd, DType.F16, 2, 32);
        Tensor b = Agreement.weights(rnd, DType.Q8_0, 1, 32);
        ArrayMatrix stack = ArrayMatrix.stack(List.of(a, b));
        assertThat(stack.dtype()).isEqualTo(DType.F32);
        float[] expected = new float[96];
        System.arraycopy(a.toFloatArray(), 0, expected, 0, 64);
        System.arraycopy(b.toFloatArray(), 0, expected, 64, 32);
        assertThat(stack.floats()).containsExactly(expected);
    }

    @Test
    void partsOfDifferentWidthsAreRefused() {
        Random rnd = new Random(8);
        assertThatThrownBy(() -> ArrayMatrix.stack(List.of(Agreement.weights(rnd, DType.F32, 2, 4), Agreement.weights(rnd, DType.F32, 2, 5))))
                .hasMessageContaining("cannot stack");
    }
}
