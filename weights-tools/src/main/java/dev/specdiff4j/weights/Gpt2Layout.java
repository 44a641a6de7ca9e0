package dev.specdiff4j.weights;

import java.util.ArrayList;
import java.util.List;

/**
 * How the tensors of an HF GPT-2 checkpoint correspond to those of a llama.cpp GPT-2 GGUF. HF stores
 * the four projection matrices as Conv1D, [in, out]; GGUF (like the engine) stores every matrix
 * [out, in], so those four are transposed on the way.
 */
final class Gpt2Layout {
    /** One tensor: its HF name (without the "transformer." prefix), its GGUF name, and its kind. */
    record Entry(String hf, String gguf, Kind kind) {
    }

    enum Kind {
        /** Same orientation in both formats. */
        MATRIX,
        /** HF Conv1D [in, out] versus GGUF [out, in]. */
        CONV1D,
        /** A norm weight or bias. */
        VECTOR
    }

    private Gpt2Layout() {
    }

    static List<Entry> entries(int layers) {
        List<Entry> e = new ArrayList<>();
        e.add(new Entry("wte.weight", "token_embd.weight", Kind.MATRIX));
        e.add(new Entry("wpe.weight", "position_embd.weight", Kind.MATRIX));
        for (int i = 0; i < layers; i++) {
            String h = "h." + i + ".";
            String b = "blk." + i + ".";
            e.add(new Entry(h + "ln_1.weight", b + "attn_norm.weight", Kind.VECTOR));
            e.add(new Entry(h + "ln_1.bias", b + "attn_norm.bias", Kind.VECTOR));
            e.add(new Entry(h + "attn.c_attn.weight", b + "attn_qkv.weight", Kind.CONV1D));
            e.add(new Entry(h + "attn.c_attn.bias", b + "attn_qkv.bias", Kind.VECTOR));
            e.add(new Entry(h + "attn.c_proj.weight", b + "attn_output.weight", Kind.CONV1D));
            e.add(new Entry(h + "attn.c_proj.bias", b + "attn_output.bias", Kind.VECTOR));
            e.add(new Entry(h + "ln_2.weight", b + "ffn_norm.weight", Kind.VECTOR));
            e.add(new Entry(h + "ln_2.bias", b + "ffn_norm.bias", Kind.VECTOR));
            e.add(new Entry(h + "mlp.c_fc.weight", b + "ffn_up.weight", Kind.CONV1D));
            e.add(new Entry(h + "mlp.c_fc.bias", b + "ffn_up.bias", Kind.VECTOR));
            e.add(new Entry(h + "mlp.c_proj.weight", b + "ffn_down.weight", Kind.CONV1D));
            e.add(new Entry(h + "mlp.c_proj.bias", b + "ffn_down.bias", Kind.VECTOR));
        }
        e.add(new Entry("ln_f.weight", "output_norm.weight", Kind.VECTOR));
        e.add(new Entry("ln_f.bias", "output_norm.bias", Kind.VECTOR));
        return e;
    }
}
