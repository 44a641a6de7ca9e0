package dev.specdiff4j.weights;

import dev.specdiff4j.engine.io.GgufFile;
import dev.specdiff4j.engine.io.GgufWriter;
import dev.specdiff4j.engine.io.TensorWriteSource;
import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.engine.tensor.Tensor;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A random-weight Llama-layout GGUF at a real size, written straight in one weight dtype: each tensor is generated and
 * encoded a few rows at a time when the writer reaches it, so a billion-parameter file never has to be in memory (what
 * {@link RandomTransformers} does for the small test shapes). Matrices in the dtype, norm vectors F32; llama.cpp's names
 * and metadata. For speed measurements: the values are random, so no q/k row permutation is applied.
 */
public final class RandomTransformerGguf {
    /**
     * Llama 3.2 1B's shape (1.24 B parameters, tied head, GQA 32/8, head dim 64), with a 2048-token context in the metadata so
     * that neither engine sizes anything for the real 128 K.
     */
    public static RandomTransformers.Shape llama32OneB(int vocab) {
        return new RandomTransformers.Shape("llama", vocab, 2048, 2048, 16, 32, 8, 64, 8192, 500000, true);
    }

    private static final int ROWS_PER_CHUNK = 64;

    private RandomTransformerGguf() {
    }

    /** Writes the file: {@code vocabulary}'s tokenizer (its token count must be the shape's vocab), random weights from {@code seed}. */
    public static Path write(Path file, RandomTransformers.Shape shape, DType dtype, GgufFile vocabulary, long seed) throws IOException {
        int tokens = ((List<?>) vocabulary.metadata().get("tokenizer.ggml.tokens")).size();
        if (tokens != shape.vocab()) throw new IllegalArgumentException("the vocabulary has " + tokens + " tokens, the shape " + shape.vocab());
        Map<String, Object> meta = RandomTransformers.ggufMetadata(shape, (int) QuantMix.PURE.fileType(dtype));
        meta.putAll(RandomTransformers.tokenizerMetadata(vocabulary));
        int d = shape.dim();
        int q = shape.heads() * shape.headDim();
        int kv = shape.kvHeads() * shape.headDim();
        List<TensorWriteSource> t = new ArrayList<>();
        t.add(random("token_embd.weight", dtype, seed, 1.0, 0, shape.vocab(), d));
        for (int l = 0; l < shape.layers(); l++) {
            String b = "blk." + l + ".";
            t.add(random(b + "attn_norm.weight", DType.F32, seed, 0.3, 1, d));
            t.add(random(b + "attn_q.weight", dtype, seed, 0.2, 0, q, d));
            t.add(random(b + "attn_k.weight", dtype, seed, 0.2, 0, kv, d));
            t.add(random(b + "attn_v.weight", dtype, seed, 0.2, 0, kv, d));
            if (shape.qkvBias()) {
                t.add(random(b + "attn_q.bias", DType.F32, seed, 0.1, 0, q));
                t.add(random(b + "attn_k.bias", DType.F32, seed, 0.1, 0, kv));
                t.add(random(b + "attn_v.bias", DType.F32, seed, 0.1, 0, kv));
            }
            if (shape.qkNorm()) {
                t.add(random(b + "attn_q_norm.weight", DType.F32, seed, 0.3, 1, shape.headDim()));
                t.add(random(b + "attn_k_norm.weight", DType.F32, seed, 0.3, 1, shape.headDim()));
            }
            t.add(random(b + "attn_output.weight", dtype, seed, 0.2, 0, d, q));
            t.add(random(b + "ffn_norm.weight", DType.F32, seed, 0.3, 1, d));
            t.add(random(b + "ffn_gate.weight", dtype, seed, 0.2, 0, shape.ffnDim(), d));
            t.add(random(b + "ffn_up.weight", dtype, seed, 0.2, 0, shape.ffnDim(), d));
            t.add(random(b + "ffn_down.weight", dtype, seed, 0.2, 0, d, shape.ffnDim()));
        }
        t.add(random("output_norm.weight", DType.F32, seed, 0.3, 1, d));
        if (!shape.tied()) t.add(random("output.weight", dtype, seed, 0.2, 0, shape.vocab(), d));
        GgufWriter.write(file, true, meta, t);
        return file;
    }


    /**
     * A [rows, cols] matrix (or [n] vector) of uniform values in {@code center ± scale}, its own random stream per name, written
     * in {@code ROWS_PER_CHUNK}-row chunks (quantized rows are whole blocks, so the chunks encode exactly as the whole would).
     */
    private static TensorWriteSource random(String name, DType dtype, long seed, double scale, double center, long... shape) {
        if (dtype.isQuantized() && dtype.bytesFor(shape[shape.length - 1]) < 0) {
            throw new IllegalArgumentException(name + ": rows of " + shape[shape.length - 1] + " are not whole " + dtype.displayName() + " blocks");
        }
        return new TensorWriteSource(name, dtype, shape, out -> {
            SplittableRandom r = new SplittableRandom(seed ^ name.hashCode() * 0x9E3779B97F4A7C15L);
            long rows = shape.length == 1 ? 1 : shape[0];
            int cols = Math.toIntExact(shape[shape.length - 1]);
            for (long row = 0; row < rows; row += ROWS_PER_CHUNK) {
                int n = (int) Math.min(ROWS_PER_CHUNK, rows - row);
                float[] v = new float[n * cols];
                for (int i = 0; i < v.length; i++) v[i] = (float) (center + (r.nextDouble() * 2 - 1) * scale);
                try (Arena arena = Arena.ofConfined()) {
                    write(Tensor.of(name, dtype, new long[] {n, cols}, v, arena).data(), out);
                }
            }
        });
    }

    private static void write(MemorySegment data, OutputStream out) throws IOException {
        byte[] bytes = new byte[Math.toIntExact(data.byteSize())];
        ByteBuffer.wrap(bytes).put(data.asByteBuffer());
        out.write(bytes);
    }
}
