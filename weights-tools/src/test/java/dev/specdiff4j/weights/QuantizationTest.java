package dev.specdiff4j.weights;

import dev.specdiff4j.engine.tensor.Halfs;
import dev.specdiff4j.engine.tensor.Q8;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The quantizers against blocks computed by hand from the format definitions (ggml's
 * quantize_row_q8_0_ref: d = max|x| / 127 as F16, q = roundf(x / d); IEEE round-to-nearest-even for F16
 * and BF16).
 */
class QuantizationTest {
    private static byte[] q8(float[] block) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(34);
            Q8.quantize(block, 0, 32, seg, 0);
            return seg.toArray(ValueLayout.JAVA_BYTE);
        }
    }

    private static int scaleBits(byte[] b) {
        return (b[0] & 0xFF) | ((b[1] & 0xFF) << 8);
    }

    @Test
    void aSimpleBlock() {
        float[] x = new float[32];
        for (int i = 0; i < 32; i++) x[i] = i - 16; // -16 .. 15, max |x| = 16
        byte[] b = q8(x);
        // d = 16/127 = 0.12598425..., as F16: 0x3008 (0.1259765625)
        assertThat(scaleBits(b)).isEqualTo(0x3008);
        // q = roundf(x * (1/d)) with 1/d computed in float from the float d (not the F16 one): x = -16 -> -127
        assertThat(b[2]).isEqualTo((byte) -127);
        assertThat(b[2 + 31]).isEqualTo((byte) roundf(15 * (1f / (16f / 127f))));
        assertThat(b[2 + 16]).isZero();
        // halves go away from zero, as C's roundf: x = 0.5·d must round to 1, x = -0.5·d to -1
        float d = 16f / 127f;
        assertThat(roundf(0.5f * d * (1f / d))).isEqualTo(1);
    }

    private static int roundf(float v) {
        return (int) Math.copySign(Math.floor(Math.abs(v) + 0.5f), v);
    }

    @Test
    void anAllZeroBlockHasZeroScaleAndZeroQuants() {
        byte[] b = q8(new float[32]);
        for (byte v : b) assertThat(v).isZero();
    }

    @Test
    void hugeAndTinyMagnitudes() {
        float[] huge = new float[32];
        huge[3] = 60000f; // near the F16 maximum (65504): d = 472.44 is representable
        huge[4] = -30000f;
        byte[] b = q8(huge);
        assertThat(Halfs.f16ToFloat((short) scaleBits(b))).isEqualTo(Halfs.f16ToFloat(Halfs.floatToF16(60000f / 127f)));
        assertThat(b[2 + 3]).isEqualTo((byte) 127);
        assertThat(b[2 + 4]).isEqualTo((byte) roundf(-30000f * (1f / (60000f / 127f))));
        float[] tiny = new float[32];
        tiny[0] = 1e-6f; // d = 7.9e-9 underflows F16 (smallest subnormal 6e-8) and is stored as 0
        byte[] t = q8(tiny);
        assertThat(scaleBits(t)).isZero();
        assertThat(t[2]).isEqualTo((byte) 127); // the quants are computed from the float d, as ggml does
    }

    @Test
    void nanAndInfinityCannotBeQuantized() {
        float[] x = new float[32];
        x[7] = Float.NaN;
        assertThatThrownBy(() -> q8(x)).hasMessageContaining("NaN").hasMessageContaining("index 7");
        x[7] = Float.POSITIVE_INFINITY;
        assertThatThrownBy(() -> q8(x)).hasMessageContaining("Infinity");
    }

    @Test
    void f16RoundsToNearestEvenAndKeepsSpecials() {
        assertThat(Halfs.floatToF16(1.0f)).isEqualTo((short) 0x3C00);
        // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties to even (1.0)
        assertThat(Halfs.floatToF16(1.0f + 0x1p-11f)).isEqualTo((short) 0x3C00);
        // 1 + 3·2^-11 is halfway between 1 + 2^-10 and 1 + 2^-9: ties to even (1 + 2^-9 -> mantissa 2)
        assertThat(Halfs.floatToF16(1.0f + 3 * 0x1p-11f)).isEqualTo((short) 0x3C02);
        assertThat(Halfs.floatToF16(65520f)).isEqualTo((short) 0x7C00); // rounds up to infinity
        assertThat(Halfs.floatToF16(Float.NEGATIVE_INFINITY)).isEqualTo((short) 0xFC00);
        assertThat(Float.isNaN(Halfs.f16ToFloat(Halfs.floatToF16(Float.NaN)))).isTrue();
        assertThat(Halfs.f16ToFloat((short) 0x0001)).isEqualTo(0x1p-24f); // smallest subnormal
    }

    @Test
    void bf16RoundsToNearestEvenAndKeepsSpecials() {
        assertThat(Halfs.floatToBf16(1.0f)).isEqualTo((short) 0x3F80);
        // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties to even (1.0)
        assertThat(Halfs.floatToBf16(1.0f + 0x1p-8f)).isEqualTo((short) 0x3F80);
        // 1 + 3·2^-8 is halfway between 1 + 2^-7 and 1 + 2^-6: ties to even (0x3F82)
        assertThat(Halfs.floatToBf16(1.0f + 3 * 0x1p-8f)).isEqualTo((short) 0x3F82);
        // just above halfway rounds up
        assertThat(Halfs.floatToBf16(1.0f + 0x1p-8f + 0x1p-20f)).isEqualTo((short) 0x3F81);
        assertThat(Halfs.floatToBf16(Float.POSITIVE_INFINITY)).isEqualTo((short) 0x7F80);
        assertThat(Halfs.floatToBf16(Float.MAX_VALUE)).isEqualTo((short) 0x7F80); // overflows to infinity when rounded
        short nan = Halfs.floatToBf16(Float.intBitsToFloat(0x7F800001)); // a NaN whose payload is all in the low bits
        assertThat(Float.isNaN(Halfs.bf16ToFloat(nan))).isTrue();
        assertThat(Halfs.floatToBf16(-0.0f)).isEqualTo((short) 0x8000);
    }
}
