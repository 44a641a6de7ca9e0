package dev.specdiff4j.engine.kernels;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The two kernels the Llama families add, on values worked out by hand, for every kernel implementation. */
class RmsNormSwigluTest {
    @Test
    void rmsNormDividesEachRowByItsRootMeanSquare() {
        for (Kernels kernels : new Kernels[] {new ReferenceKernels(), new VectorKernels(1)}) {
            // row 0: [3, 4] has mean square 12.5; row 1: [0, 2] has 2; weight [1, 2]
            float[] x = {3, 4, 0, 2};
            float[] out = new float[4];
            kernels.rmsNorm(x, 2, 2, new float[] {1, 2}, 0f, out);
            assertThat(out[0]).isCloseTo((float) (3 / Math.sqrt(12.5)), within(1e-6f));
            assertThat(out[1]).isCloseTo((float) (2 * 4 / Math.sqrt(12.5)), within(1e-6f));
            assertThat(out[2]).isEqualTo(0f);
            assertThat(out[3]).isCloseTo((float) (2 * 2 / Math.sqrt(2)), within(1e-6f));
            kernels.close();
        }
    }

    @Test
    void swigluGatesTheUpProjectionWithSilu() {
        float[] gate = {0, 1, -2, 5};
        float[] up = {7, 2, 3, 0.5f};
        new ReferenceKernels().swiglu(gate, up, 3);
        assertThat(gate[0]).isEqualTo(0f);
        assertThat(gate[1]).isCloseTo((float) (2 / (1 + Math.exp(-1))), within(1e-6f));
        assertThat(gate[2]).isCloseTo((float) (3 * -2 / (1 + Math.exp(2))), within(1e-6f));
        assertThat(gate[3]).as("beyond n: untouched").isEqualTo(5f);
    }
}
