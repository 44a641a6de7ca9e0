package dev.specdiff4j.tornado;

import dev.specdiff4j.engine.tensor.Halfs;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class HalvesTest {
    @Test
    void tablesDecodeEveryPatternLikeTheEngine() {
        float[] f16 = Halves.f16Table();
        float[] bf16 = Halves.bf16Table();
        for (int bits = 0; bits < 65536; bits++) {
            assertThat(Float.floatToRawIntBits(f16[bits])).as("f16 %04x", bits).isEqualTo(Float.floatToRawIntBits(Halfs.f16ToFloat((short) bits)));
            assertThat(Float.floatToRawIntBits(bf16[bits])).as("bf16 %04x", bits).isEqualTo(Float.floatToRawIntBits(Halfs.bf16ToFloat((short) bits)));
        }
        assertThat(f16[0x3C00]).isEqualTo(1f);
        assertThat(f16[0x0001]).isEqualTo(5.9604645e-8f);
        assertThat(bf16[0xC000]).isEqualTo(-2f);
    }

    @Test
    void tablesHandedOutAreCopies() {
        Halves.f16Table()[0x3C00] = 7f;
        assertThat(Halves.f16Table()[0x3C00]).isEqualTo(1f);
    }
}
