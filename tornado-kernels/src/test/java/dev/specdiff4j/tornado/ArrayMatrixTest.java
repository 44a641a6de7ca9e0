package dev.specdiff4j.tornado;

import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.engine.tensor.Halfs;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

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
}
