package dev.specdiff4j.engine.model.transformer;

import dev.specdiff4j.engine.model.LoadOptions;
import dev.specdiff4j.engine.model.ModelFiles;
import dev.specdiff4j.engine.model.ModelFormatException;
import dev.specdiff4j.engine.model.TensorNames;
import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.engine.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Loads the Llama-layout families ({@code llama}, {@code mistral}, {@code qwen2}, {@code qwen3}, {@code phi3}) into a {@link Transformer}:
 * from llama.cpp GGUF files (its tensor names and metadata keys) and from HF folders ({@code config.json} + safetensors,
 * HF tensor names). The specs come from {@link LlamaSpecs}.
 *
 * <p>llama.cpp's converter permutes the rows of the llama/mistral q and k projections so that its "normal" RoPE, which
 * rotates adjacent pairs, computes what HF's rotate-half RoPE computes on the original rows; the permutation is undone
 * here ({@link #unpermuteRopeRows}), so one NeoX-style RoPE serves every family. Qwen's GGUF files keep HF's rows.
 */
public final class TransformerLoader {
    private TransformerLoader() {
    }

    /** Loads a model folder or GGUF file of a Llama-layout family. */
    public static Transformer load(Path path, LoadOptions options) throws IOException {
        ModelFiles files = ModelFiles.open(path);
        try {
            return load(files, options);
        } catch (RuntimeException e) {
            files.close();
            throw e;
        }
    }

    /** Loads opened files (the model closes them). */
    public static Transformer load(ModelFiles files, LoadOptions options) {
        Arena arena = Arena.ofShared();
        try {
            TransformerSpec spec = LlamaSpecs.of(files);
            TransformerWeights weights = weights(files, spec, new Converting(options.dtype(), arena));
            return new Transformer(spec, weights, options.kernels(), files, arena);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** Checks that opened files hold a complete model of a known family, every tensor present and shaped right; copies nothing. */
    public static TransformerSpec validate(ModelFiles files) {
        TransformerSpec spec = LlamaSpecs.of(files);
        weights(files, spec, new Matrices() {
            @Override
            public Tensor load(Tensor stored) {
                return stored;
            }

            @Override
            public Tensor unpermuted(Tensor stored, int heads) {
                return stored;
            }
        });
        return spec;
    }

    /** Turns stored matrices into the ones the model computes with. */
    private interface Matrices {
        Tensor load(Tensor stored);

        /** {@link #load}, with llama.cpp's RoPE row permutation undone. */
        Tensor unpermuted(Tensor stored, int heads);
    }

    private record Converting(DType target, Arena arena) implements Matrices {
        @Override
        public Tensor load(Tensor t) {
            DType to = target == null ? t.dtype() : target;
            try {
                return t.convert(to, false, arena);
            } catch (IllegalArgumentException e) {
                throw new ModelFormatException("cannot convert " + t + " to " + to.displayName() + ": " + e.getMessage());
            }
        }

        @Override
        public Tensor unpermuted(Tensor stored, int heads) {
            return unpermuteRopeRows(load(stored), heads, arena);
        }
    }

    /**
     * Undoes llama.cpp's {@code permute} of q/k rows (convert_hf_to_gguf.py: {@code reshape(heads, 2, rows/heads/2, cols)
     * .swapaxes(1, 2)}): within each head, GGUF row {@code 2i + j} is HF row {@code j·headDim/2 + i}. Rows are whole
     * quantization blocks, so this moves bytes and works for every dtype.
     */
    public static Tensor unpermuteRopeRows(Tensor t, int heads, Arena arena) {
        int rows = t.rows();
        int headDim = rows / heads;
        if (rows % heads != 0 || headDim % 2 != 0) {
            throw new ModelFormatException(t.name() + ": " + rows + " rows cannot be " + heads + " RoPE heads");
        }
        int half = headDim / 2;
        long rowBytes = t.rowBytes();
        MemorySegment out = arena.allocate(Math.max(1, t.byteSize()), 64).asSlice(0, t.byteSize());
        for (int h = 0; h < heads; h++) {
            for (int j = 0; j < 2; j++) {
                for (int i = 0; i < half; i++) {
                    long from = (long) (h * headDim + 2 * i + j) * rowBytes;
                    long to = (long) (h * headDim + j * half + i) * rowBytes;
                    MemorySegment.copy(t.data(), from, out, to, rowBytes);
                }
            }
        }
        return new Tensor(t.name(), t.dtype(), t.shape(), out);
    }

    private static TransformerWeights weights(ModelFiles files, TransformerSpec spec, Matrices m) {
        return files.gguf() != null ? fromGguf(files, spec, m) : fromHf(files, spec, m);
    }

    private static TransformerWeights fromGguf(ModelFiles files, TransformerSpec spec, Matrices m) {
        TensorNames n = new TensorNames(files.tensors(), "");
        int d = spec.dim();
        int f = spec.ffnDim();
        int hd = spec.headDim();
        boolean permuted = files.architecture() == ModelFiles.Architecture.LLAMA || files.architecture() == ModelFiles.Architecture.MISTRAL;
        Tensor embedding = m.load(n.matrix("token_embd.weight", spec.vocabSize(), d));
        Tensor head = spec.tiedOutput() ? embedding : m.load(n.matrix("output.weight", spec.vocabSize(), d));
        List<TransformerWeights.Block> blocks = new ArrayList<>();
        boolean fused = files.architecture() == ModelFiles.Architecture.PHI3;
        for (int l = 0; l < spec.layers(); l++) {
            String b = "blk." + l + ".";
            if (fused) {
                blocks.add(fusedBlock(n, spec, m, b + "attn_norm.weight", b + "attn_qkv.weight", b + "attn_output.weight", b + "ffn_norm.weight",
                        b + "ffn_up.weight", b + "ffn_down.weight"));
                continue;
            }
            Tensor wq = n.matrix(b + "attn_q.weight", spec.qDim(), d);
            Tensor wk = n.matrix(b + "attn_k.weight", spec.kvDim(), d);
            float[] qBias = spec.qkvBias() ? n.vector(b + "attn_q.bias", spec.qDim()) : null;
            float[] kBias = spec.qkvBias() ? n.vector(b + "attn_k.bias", spec.kvDim()) : null;
            if (permuted && qBias != null) {
                throw new ModelFormatException(files.path() + ": q/k biases of a permuted llama GGUF are not supported");
            }
            blocks.add(new TransformerWeights.Block(
                    n.vector(b + "attn_norm.weight", d), null,
                    permuted ? m.unpermuted(wq, spec.heads()) : m.load(wq), qBias,
                    permuted ? m.unpermuted(wk, spec.kvHeads()) : m.load(wk), kBias,
                    m.load(n.matrix(b + "attn_v.weight", spec.kvDim(), d)), spec.qkvBias() ? n.vector(b + "attn_v.bias", spec.kvDim()) : null,
                    spec.qkNorm() ? n.vector(b + "attn_q_norm.weight", hd) : null, spec.qkNorm() ? n.vector(b + "attn_k_norm.weight", hd) : null,
                    m.load(n.matrix(b + "attn_output.weight", d, spec.qDim())), null,
                    n.vector(b + "ffn_norm.weight", d), null,
                    m.load(n.matrix(b + "ffn_gate.weight", f, d)), m.load(n.matrix(b + "ffn_up.weight", f, d)), null,
                    m.load(n.matrix(b + "ffn_down.weight", d, f)), null));
        }
        return new TransformerWeights(embedding, null, blocks, n.vector("output_norm.weight", d), null, head);
    }

    private static TransformerWeights fromHf(ModelFiles files, TransformerSpec spec, Matrices m) {
        TensorNames n = new TensorNames(files.tensors(), "");
        int d = spec.dim();
        int f = spec.ffnDim();
        int hd = spec.headDim();
        Tensor embedding = m.load(n.matrix("model.embed_tokens.weight", spec.vocabSize(), d));
        Tensor head = spec.tiedOutput() ? embedding : m.load(n.matrix("lm_head.weight", spec.vocabSize(), d));
        List<TransformerWeights.Block> blocks = new ArrayList<>();
        boolean fused = files.architecture() == ModelFiles.Architecture.PHI3;
        for (int l = 0; l < spec.layers(); l++) {
            String b = "model.layers." + l + ".";
            String a = b + "self_attn.";
            if (fused) {
                blocks.add(fusedBlock(n, spec, m, b + "input_layernorm.weight", a + "qkv_proj.weight", a + "o_proj.weight",
                        b + "post_attention_layernorm.weight", b + "mlp.gate_up_proj.weight", b + "mlp.down_proj.weight"));
                continue;
            }
            blocks.add(new TransformerWeights.Block(
                    n.vector(b + "input_layernorm.weight", d), null,
                    m.load(n.matrix(a + "q_proj.weight", spec.qDim(), d)), spec.qkvBias() ? n.vector(a + "q_proj.bias", spec.qDim()) : null,
                    m.load(n.matrix(a + "k_proj.weight", spec.kvDim(), d)), spec.qkvBias() ? n.vector(a + "k_proj.bias", spec.kvDim()) : null,
                    m.load(n.matrix(a + "v_proj.weight", spec.kvDim(), d)), spec.qkvBias() ? n.vector(a + "v_proj.bias", spec.kvDim()) : null,
                    spec.qkNorm() ? n.vector(a + "q_norm.weight", hd) : null, spec.qkNorm() ? n.vector(a + "k_norm.weight", hd) : null,
                    m.load(n.matrix(a + "o_proj.weight", d, spec.qDim())), null,
                    n.vector(b + "post_attention_layernorm.weight", d), null,
                    m.load(n.matrix(b + "mlp.gate_proj.weight", f, d)), m.load(n.matrix(b + "mlp.up_proj.weight", f, d)), null,
                    m.load(n.matrix(b + "mlp.down_proj.weight", d, f)), null));
        }
        return new TransformerWeights(embedding, null, blocks, n.vector("model.norm.weight", d), null, head);
    }

    /**
     * A phi3 block: q, k and v are row ranges of one fused [qDim + 2·kvDim, C] matrix (in that order), gate and up the two
     * halves of one [2F, C] matrix (gate first), as both HF's Phi3 and llama.cpp's phi3 store them; the slices share the stored
     * bytes.
     */
    private static TransformerWeights.Block fusedBlock(TensorNames n, TransformerSpec spec, Matrices m, String attnNorm, String qkvName,
                                                       String output, String ffnNorm, String gateUpName, String down) {
        int d = spec.dim();
        int f = spec.ffnDim();
        Tensor qkv = n.matrix(qkvName, spec.qDim() + 2 * spec.kvDim(), d);
        Tensor gateUp = n.matrix(gateUpName, 2 * f, d);
        return new TransformerWeights.Block(
                n.vector(attnNorm, d), null,
                m.load(rows(qkv, 0, spec.qDim())), null,
                m.load(rows(qkv, spec.qDim(), spec.kvDim())), null,
                m.load(rows(qkv, spec.qDim() + spec.kvDim(), spec.kvDim())), null,
                null, null,
                m.load(n.matrix(output, d, spec.qDim())), null,
                n.vector(ffnNorm, d), null,
                m.load(rows(gateUp, 0, f)), m.load(rows(gateUp, f, f)), null,
                m.load(n.matrix(down, d, f)), null);
    }

    /** Rows [from, from + count) of a matrix, sharing its bytes (rows are whole quantization blocks). */
    static Tensor rows(Tensor t, int from, int count) {
        long rowBytes = t.rowBytes();
        return new Tensor(t.name() + "[" + from + ":" + (from + count) + "]", t.dtype(), new long[] {count, t.cols()},
                t.data().asSlice(from * rowBytes, count * rowBytes));
    }
}
