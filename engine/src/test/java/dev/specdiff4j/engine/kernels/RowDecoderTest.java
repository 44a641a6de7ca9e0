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

    @Test
    void everyFiniteHalfPatternDecodesExactlyThroughTheConversionLoop() {
        // the loop the JIT turns into vcvtph2ps, used for F16 tensors without infinities or NaNs: every other pattern,
        // at an odd offset and an odd count (no whole-vector alignment to lean on), bit for bit (-0 included)
        int count = 65536 - 2048 + 5;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment halfs = arena.allocate(2L * (count + 1), 64);
            short[] patterns = new short[count];
            int n = 0;
            for (int bits = 0; bits < 65536; bits++) {
                if ((bits & 0x7C00) != 0x7C00) patterns[n++] = (short) bits;
            }
            for (int i = n; i < count; i++) patterns[i] = patterns[i - n + 1];
            for (int i = 0; i < count; i++) halfs.set(ValueLayout.JAVA_SHORT_UNALIGNED, 2 + 2L * i, patterns[i]);
            MemorySegment out = arena.allocate(4L * count, 64);
            RowDecoder.f16FiniteRows(halfs, 2, count, new float[count], out);
            int mismatches = 0;
            for (int i = 0; i < count; i++) {
                int expected = Float.floatToRawIntBits(Float.float16ToFloat(patterns[i]));
                int got = Float.floatToRawIntBits(out.getAtIndex(ValueLayout.JAVA_FLOAT, i));
                if (expected != got && mismatches++ < 5) System.err.printf("pattern %04x: expected %08x got %08x%n", patterns[i], expected, got);
            }
            assertThat(mismatches).as("finite F16 patterns decoded wrongly by the conversion loop").isZero();
        }
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
