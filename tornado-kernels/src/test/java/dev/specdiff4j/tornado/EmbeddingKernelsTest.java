package dev.specdiff4j.tornado;

import dev.specdiff4j.engine.kernels.ReferenceKernels;
import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.engine.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class EmbeddingKernelsTest {
    private static final ReferenceKernels REF = new ReferenceKernels();

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F16", "BF16", "Q8_0"}) // the types with device kernels; the rest run as F32
    void lookupIsExactForEveryDtype(DType dtype) {
        Random rnd = new Random(40 + dtype.ordinal());
        for (int dim : dtype == DType.Q8_0 ? new int[] {32, 96} : new int[] {1, 37, 65}) {
            Tensor table = Agreement.weights(rnd, dtype, 51, dim);
            int[] ids = {0, 50, 3, 3, 17, 49, 1};
            float[] expected = new float[ids.length * dim];
            float[] actual = new float[ids.length * dim];
            REF.embedding(table, ids, expected);
            ArrayMatrix.of(table).embed(ids, actual, ids.length);
            Agreement.exact(actual, expected, dtype + " dim=" + dim);
        }
    }

    @Test
    void positionsStartAtTheMetaPositionAndClampAtTheLimit() {
        int[] ids = new int[6];
        EmbeddingKernels.positions(Meta.pass(5, 7, 0, 0), ids, 10);
        assertThat(ids).containsExactly(7, 8, 9, 9, 9, 0);
        EmbeddingKernels.positions(Meta.pass(3, 0, 0, 0), ids, 10);
        assertThat(ids).startsWith(0, 1, 2);
    }
}
