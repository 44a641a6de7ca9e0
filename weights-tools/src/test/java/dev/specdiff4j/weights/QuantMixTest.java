package dev.specdiff4j.weights;

import dev.specdiff4j.engine.tensor.DType;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The Q4_K_M tensor types, written out by hand for GPT-2 small (12 layers, 768 wide) and for rows that are not super-blocks. */
class QuantMixTest {
    private static DType q4km(String name, long cols) {
        return QuantMix.Q4_K_M.typeFor(name, cols, 12, DType.Q4_K, DType.F32);
    }

    @Test
    void gpt2SmallGetsQ6KInTheLayersThatGetMoreBits() {
        // use_more_bits(i, 12): i < 1, i >= 10, or (i - 1) % 3 == 2
        List<Integer> moreBits = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            DType qkv = q4km("blk." + i + ".attn_qkv.weight", 768);
            DType down = q4km("blk." + i + ".ffn_down.weight", 3072);
            assertThat(down).as("ffn_down %d", i).isEqualTo(qkv);
            if (down == DType.Q6_K) moreBits.add(i);
            else assertThat(down).isEqualTo(DType.Q4_K);
            assertThat(q4km("blk." + i + ".attn_output.weight", 768)).isEqualTo(DType.Q4_K);
            assertThat(q4km("blk." + i + ".ffn_up.weight", 768)).isEqualTo(DType.Q4_K);
        }
        assertThat(moreBits).containsExactly(0, 3, 6, 9, 10, 11);
        assertThat(q4km("output.weight", 768)).isEqualTo(DType.Q6_K);
        assertThat(q4km("token_embd.weight", 768)).isEqualTo(DType.Q4_K);
        assertThat(q4km("position_embd.weight", 768)).isEqualTo(DType.F32);
        assertThat(QuantMix.Q4_K_M.typeFor("position_embd.weight", 768, 12, DType.Q4_K, DType.F16)).isEqualTo(DType.F16);
    }

    @Test
    void rowsThatAreNotSuperBlocksFallBackAsLlamaCppDoes() {
        assertThat(q4km("blk.1.ffn_up.weight", 384)).isEqualTo(DType.Q5_0);
        assertThat(q4km("blk.0.attn_qkv.weight", 384)).isEqualTo(DType.Q8_0);
        assertThat(q4km("output.weight", 384)).isEqualTo(DType.Q8_0);
        assertThat(q4km("blk.1.ffn_up.weight", 48)).as("not even 32-blocks").isEqualTo(DType.F16);
        assertThat(QuantMix.PURE.typeFor("blk.1.ffn_up.weight", 384, 12, DType.Q4_0, DType.F32)).isEqualTo(DType.Q4_0);
    }
}
