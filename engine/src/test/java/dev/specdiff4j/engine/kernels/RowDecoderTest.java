package dev.specdiff4j.engine.kernels;

import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.engine.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.assertj.core.api.Assertions.assertThat;

/** The vectorised row decoding against the JDK's scalar conversions, for every F16 and BF16 bit pattern. */
class RowDecoderTest {

    @Test
    void everyHalfPatternDecodesExactly() {
        checkEveryPattern(DType.F16);
    }

    @Test
    void everyBfloat16PatternDecodesExactly() {
        checkEveryPattern(DType.BF16);
    }

    private static void checkEveryPattern(DType dtype) {
        // 65536 patterns as 16 rows of 4096 (whole vectors), then the same values in rows of 4099 (a scalar tail)
        for (int cols : new int[] {4096, 4099}) {
            int rows = (65536 + cols - 1) / cols;
            float[] values = new float[rows * cols];
            for (int i = 0; i < values.length; i++) values[i] = decodeScalar(dtype, (short) (i & 0xFFFF));
            try (Arena arena = Arena.ofConfined()) {
                Tensor w = Tensor.of("w", dtype, new long[] {rows, cols}, values, arena);
                MemorySegment out = arena.allocate(4L * rows * cols, 64);
                RowDecoder.decode(w, 0, rows, out);
                int mismatches = 0;
                for (int i = 0; i < values.length; i++) {
                    float got = out.getAtIndex(ValueLayout.JAVA_FLOAT, i);
                    boolean same = Float.isNaN(values[i]) ? Float.isNaN(got) : Float.floatToRawIntBits(got) == Float.floatToRawIntBits(values[i]);
                    if (!same && mismatches++ < 5) {
                        System.err.printf("%s pattern %04x: expected %s got %s%n", dtype, i & 0xFFFF, values[i], got);
                    }
                }
                assertThat(mismatches).as("%s patterns decoded wrongly with %d columns", dtype, cols).isZero();
            }
        }
    }

    private static float decodeScalar(DType dtype, short bits) {
        return dtype == DType.F16 ? Float.float16ToFloat(bits) : Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }
}
