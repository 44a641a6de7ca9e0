package dev.specdiff4j.engine.tensor;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class HalfsTest {
    @Test
    void tablesDecodeEveryPatternBitForBitLikeTheConversions() {
        float[] f16 = Halfs.f16Table();
        float[] bf16 = Halfs.bf16Table();
        assertThat(f16).hasSize(65536);
        assertThat(bf16).hasSize(65536);
        for (int bits = 0; bits < 65536; bits++) {
            assertThat(Float.floatToRawIntBits(f16[bits])).as("f16 %04x", bits).isEqualTo(Float.floatToRawIntBits(Halfs.f16ToFloat((short) bits)));
            assertThat(Float.floatToRawIntBits(bf16[bits])).as("bf16 %04x", bits).isEqualTo(Float.floatToRawIntBits(Halfs.bf16ToFloat((short) bits)));
        }
    }

    @Test
    void tablesHoldTheKnownValuesOfBothFormats() {
        float[] f16 = Halfs.f16Table();
        float[] bf16 = Halfs.bf16Table();
        assertThat(f16[0x3C00]).isEqualTo(1f);
        assertThat(f16[0xC000]).isEqualTo(-2f);
        assertThat(f16[0x0001]).isEqualTo(5.9604645e-8f); // the smallest subnormal
        assertThat(f16[0x7C00]).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(f16[0x7E00]).isNaN();
        assertThat(bf16[0x3F80]).isEqualTo(1f);
        assertThat(bf16[0xC000]).isEqualTo(-2f);
        assertThat(bf16[0xFF80]).isEqualTo(Float.NEGATIVE_INFINITY);
    }

    @Test
    void everyCallGetsItsOwnTable() {
        Halfs.f16Table()[0x3C00] = 7f;
        Halfs.bf16Table()[0x3F80] = 7f;
        assertThat(Halfs.f16Table()[0x3C00]).isEqualTo(1f);
        assertThat(Halfs.bf16Table()[0x3F80]).isEqualTo(1f);
    }
}
