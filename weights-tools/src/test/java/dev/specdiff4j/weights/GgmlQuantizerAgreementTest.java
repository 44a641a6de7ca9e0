package dev.specdiff4j.weights;

import dev.specdiff4j.engine.io.GgufFile;
import dev.specdiff4j.engine.io.SafetensorsCheckpoint;
import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.engine.tensor.Tensor;
import dev.specdiff4j.tokenizer.Tokenizers;
import dev.specdiff4j.tokenizer.testing.ExternalFixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Our Q8_0, F16 and BF16 bytes against llama.cpp's own quantizer: {@code ggml_quantize_chunk},
 * {@code ggml_fp32_to_fp16_row} and {@code ggml_fp32_to_bf16_row_ref} from libggml-base.so of the prebuilt llama.cpp in the npm package
 * {@code @node-llama-cpp/linux-x64} 3.21.1 (installed by .ci/run), called through the FFM API. The other block formats
 * (Q4_0, Q5_0, Q5_1 and the k-quants with their iterative scale searches) are compared the same way on awkward data,
 * and our dequantizers against llama.cpp's {@code dequantize_row_*}.
 */
class GgmlQuantizerAgreementTest {
    private static final int GGML_TYPE_Q8_0 = 8;

    private static MethodHandle function(SymbolLookup lib, String name, FunctionDescriptor descriptor) {
        return Linker.nativeLinker().downcallHandle(lib.find(name).orElseThrow(() -> new AssertionError(name + " not exported")), descriptor);
    }

    @Test
    void ourQ8AndF16BytesAreLlamaCpps(@TempDir Path dir) throws Throwable {
        Path bins = ExternalFixtures.folder("SPECDIFF4J_GGML_LIB", "libggml-base.so");
        Path hf = ConverterTest.gpt2WithTokenizer(dir);
        Path q8 = dir.resolve("q8.gguf");
        Path f16 = dir.resolve("f16.gguf");
        Converter.convert(hf, q8, new Converter.Options(Converter.Format.GGUF, DType.Q8_0, false, null));
        Converter.convert(hf, f16, new Converter.Options(Converter.Format.GGUF, DType.F16, false, null));
        try (Arena arena = Arena.ofConfined(); SafetensorsCheckpoint src = SafetensorsCheckpoint.open(hf);
             GgufFile ours = GgufFile.open(q8); GgufFile oursF16 = GgufFile.open(f16)) {
            SymbolLookup lib = SymbolLookup.libraryLookup(bins.resolve("libggml-base.so"), arena);
            MethodHandle quantize = function(lib, "ggml_quantize_chunk", FunctionDescriptor.of(ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));
            MethodHandle toF16 = function(lib, "ggml_fp32_to_fp16_row", FunctionDescriptor.ofVoid(ValueLayout.ADDRESS,
                    ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
            MethodHandle toBf16 = function(lib, "ggml_fp32_to_bf16_row_ref", FunctionDescriptor.ofVoid(ValueLayout.ADDRESS,
                    ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
            MethodHandle init = function(lib, "ggml_quantize_init", FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT));
            init.invokeExact(GGML_TYPE_Q8_0);
            int compared = 0;
            for (Gpt2Layout.Entry e : Gpt2Layout.entries(2)) {
                if (e.kind() == Gpt2Layout.Kind.VECTOR) continue;
                Tensor source = src.tensor("transformer." + e.hf());
                Tensor ggufLayout = source.convert(DType.F32, e.kind() == Gpt2Layout.Kind.CONV1D, arena);
                long rows = ggufLayout.rows();
                long cols = ggufLayout.cols();
                MemorySegment theirs = arena.allocate(ours.tensor(e.gguf()).byteSize());
                long written = (long) quantize.invokeExact(GGML_TYPE_Q8_0, ggufLayout.data(), theirs, 0L, rows, cols, MemorySegment.NULL);
                assertThat(written).isEqualTo(theirs.byteSize());
                assertThat(ours.tensor(e.gguf()).data().mismatch(theirs)).as("Q8_0 bytes of %s", e.gguf()).isEqualTo(-1L);
                MemorySegment theirF16 = arena.allocate(rows * cols * 2);
                toF16.invokeExact(ggufLayout.data(), theirF16, rows * cols);
                assertThat(oursF16.tensor(e.gguf()).data().mismatch(theirF16)).as("F16 bytes of %s", e.gguf()).isEqualTo(-1L);
                MemorySegment theirBf16 = arena.allocate(rows * cols * 2);
                toBf16.invokeExact(ggufLayout.data(), theirBf16, rows * cols);
                assertThat(ggufLayout.convert(DType.BF16, false, arena).data().mismatch(theirBf16)).as("BF16 bytes of %s", e.gguf()).isEqualTo(-1L);
                compared++;
            }
            assertThat(compared).isEqualTo(2 + 4 * 2);
            // and blocks with extreme values: zeros, huge, tiny, subnormal, mixed signs
            Random r = new Random(1);
            float[] values = new float[32 * 64];
            for (int b = 0; b < 64; b++) {
                double scale = Math.pow(10, r.nextInt(14) - 9);
                for (int i = 0; i < 32; i++) values[b * 32 + i] = b % 7 == 0 ? 0f : (float) (r.nextGaussian() * scale);
            }
            Tensor t = Tensor.of("extremes", DType.Q8_0, new long[] {64, 32}, values, arena);
            MemorySegment src32 = arena.allocateFrom(ValueLayout.JAVA_FLOAT, values);
            MemorySegment theirs = arena.allocate(t.byteSize());
            long written = (long) quantize.invokeExact(GGML_TYPE_Q8_0, src32, theirs, 0L, 64L, 32L, MemorySegment.NULL);
            assertThat(written).isEqualTo(t.byteSize());
            assertThat(t.data().mismatch(theirs)).as("Q8_0 bytes of the extreme blocks").isEqualTo(-1L);
        }
    }

    /** ggml type ids of the formats compared below, in the order of {@link #BLOCK_TYPES}. */
    private static final DType[] BLOCK_TYPES = {DType.Q4_0, DType.Q5_0, DType.Q5_1, DType.Q4_K, DType.Q5_K, DType.Q6_K};
    private static final int[] GGML_IDS = {2, 6, 7, 12, 13, 14};
    private static final String[] DEQUANTIZERS = {"dequantize_row_q4_0", "dequantize_row_q5_0", "dequantize_row_q5_1", "dequantize_row_q4_K",
        "dequantize_row_q5_K", "dequantize_row_q6_K"};

    /**
     * Rows of 512 values (two k-quant super-blocks, sixteen 32-blocks), one kind of awkwardness per row: all zero,
     * Gaussian at scales from 1e-9 to 1e4, huge (1e30), tiny (1e-30, subnormal), a single non-zero value, constant
     * rows of either sign, exact ties (values on the half-steps of the quantizer's grid), all positive, all negative,
     * sparse, and mixed magnitudes within one group.
     */
    static float[] awkwardRows(int rows, int cols, long seed) {
        Random r = new Random(seed);
        float[] v = new float[rows * cols];
        for (int row = 0; row < rows; row++) {
            int o = row * cols;
            int kind = row % 12;
            for (int i = 0; i < cols; i++) {
                float g = (float) r.nextGaussian();
                v[o + i] = switch (kind) {
                    case 0 -> 0f;
                    case 1 -> (float) (g * Math.pow(10, r.nextInt(14) - 9));
                    case 2 -> g * 1e30f;
                    case 3 -> g * 1e-30f;
                    case 4 -> i == 77 ? 3.5f : 0f;
                    case 5 -> (i / 32) % 2 == 0 ? 0.25f : -0.25f;
                    case 6 -> (r.nextInt(17) - 8) * 0.5f; // halves: ties everywhere
                    case 7 -> Math.abs(g);
                    case 8 -> -Math.abs(g) - 1;
                    case 9 -> r.nextInt(10) == 0 ? g : 0f;
                    case 10 -> i % 32 == 5 ? g * 1000 : g * 0.001f;
                    default -> (float) (r.nextInt(64) - 32) / 16f + (i % 16 == 0 ? 1f : 0f);
                };
            }
        }
        return v;
    }

    @Test
    void ourBlockFormatsAreLlamaCppsBytesAndValues() throws Throwable {
        Path bins = ExternalFixtures.folder("SPECDIFF4J_GGML_LIB", "libggml-base.so");
        int rows = 48;
        int cols = 512;
        float[] values = awkwardRows(rows, cols, 7);
        try (Arena arena = Arena.ofConfined()) {
            SymbolLookup lib = SymbolLookup.libraryLookup(bins.resolve("libggml-base.so"), arena);
            MethodHandle quantize = function(lib, "ggml_quantize_chunk", FunctionDescriptor.of(ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));
            MethodHandle init = function(lib, "ggml_quantize_init", FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT));
            MemorySegment src32 = arena.allocateFrom(ValueLayout.JAVA_FLOAT, values);
            for (int k = 0; k < BLOCK_TYPES.length; k++) {
                DType type = BLOCK_TYPES[k];
                init.invokeExact(GGML_IDS[k]);
                Tensor ours = Tensor.of("awkward", type, new long[] {rows, cols}, values, arena);
                MemorySegment theirs = arena.allocate(ours.byteSize());
                long written = (long) quantize.invokeExact(GGML_IDS[k], src32, theirs, 0L, (long) rows, (long) cols, MemorySegment.NULL);
                assertThat(written).as("%s bytes written", type).isEqualTo(ours.byteSize());
                for (int row = 0; row < rows; row++) {
                    long rb = ours.rowBytes();
                    assertThat(ours.data().asSlice(row * rb, rb).mismatch(theirs.asSlice(row * rb, rb)))
                            .as("%s bytes of awkward row %d (kind %d)", type, row, row % 12).isEqualTo(-1L);
                }
                MethodHandle dequantize = function(lib, DEQUANTIZERS[k], FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.ADDRESS,
                        ValueLayout.JAVA_LONG));
                MemorySegment theirFloats = arena.allocate(4L * rows * cols);
                dequantize.invokeExact(theirs, theirFloats, (long) rows * cols);
                float[] expected = theirFloats.toArray(ValueLayout.JAVA_FLOAT);
                float[] actual = ours.toFloatArray();
                for (int i = 0; i < actual.length; i++) {
                    assertThat(Float.floatToIntBits(actual[i])).as("%s value %d", type, i).isEqualTo(Float.floatToIntBits(expected[i]));
                }
                // the comparison means something only if the rows decode to something: the zero rows to zeros, the rows of
                // ordinary magnitude (kinds 4-8, 10, 11) to something non-zero
                for (int row = 0; row < rows; row++) {
                    boolean nonZero = false;
                    for (int i = row * cols; i < (row + 1) * cols; i++) nonZero |= actual[i] != 0;
                    int kind = row % 12;
                    if (kind == 0) assertThat(nonZero).as("%s zero row %d", type, row).isFalse();
                    if (kind >= 4 && kind != 9) assertThat(nonZero).as("%s row %d (kind %d) decodes to non-zero values", type, row, kind).isTrue();
                }
            }
            assertThat(quantizeRealWeights(quantize, init, arena)).isEqualTo(BLOCK_TYPES.length);
        }
    }

    /** Gaussian weights of a real 768-wide shape, as the converter sees them. */
    private static int quantizeRealWeights(MethodHandle quantize, MethodHandle init, Arena arena) throws Throwable {
        int rows = 64;
        int cols = 768;
        Random r = new Random(3);
        float[] values = new float[rows * cols];
        for (int i = 0; i < values.length; i++) values[i] = (float) (r.nextGaussian() * 0.02);
        MemorySegment src32 = arena.allocateFrom(ValueLayout.JAVA_FLOAT, values);
        int compared = 0;
        for (int k = 0; k < BLOCK_TYPES.length; k++) {
            init.invokeExact(GGML_IDS[k]);
            Tensor ours = Tensor.of("gaussian", BLOCK_TYPES[k], new long[] {rows, cols}, values, arena);
            MemorySegment theirs = arena.allocate(ours.byteSize());
            long written = (long) quantize.invokeExact(GGML_IDS[k], src32, theirs, 0L, (long) rows, (long) cols, MemorySegment.NULL);
            assertThat(written).isEqualTo(ours.byteSize());
            assertThat(ours.data().mismatch(theirs)).as("%s bytes of Gaussian weights", BLOCK_TYPES[k]).isEqualTo(-1L);
            compared++;
        }
        return compared;
    }

    /**
     * Our {@code --dtype q4_k_m} export against llama.cpp's own {@code llama_model_quantize} (Q4_K_M, no importance
     * matrix) of the same F32 GGUF: every tensor has the same type and the same bytes. Two shapes: 256 wide with 8
     * layers (Q4_K, and Q6_K where llama.cpp spends more bits) and the 64-wide fixture, whose rows are not whole
     * super-blocks (the Q5_0 / Q8_0 fallbacks).
     */
    @Test
    void ourQ4KmExportIsWhatLlamaQuantizeWrites(@TempDir Path dir) throws Throwable {
        Path bins = ExternalFixtures.folder("SPECDIFF4J_GGML_LIB", "libllama.v0.4.0.so");
        Path tiny = ConverterTest.gpt2WithTokenizer(dir);
        Path wide = RandomCheckpoints.gpt2(dir.resolve("wide"), new RandomCheckpoints.Gpt2Shape("gpt2-wide", 300, 64, 256, 8, 4), DType.F32, 5);
        RandomCheckpoints.addTokenizer(wide, Tokenizers.load(tiny));
        int[] typesSeen = new int[DType.values().length];
        try (Arena arena = Arena.ofConfined()) {
            SymbolLookup lib = SymbolLookup.libraryLookup(bins.resolve("libllama.v0.4.0.so"), arena);
            // llama_model_quantize_params is returned by value; a larger stand-in layout is returned the same way (in memory) and
            // only its first two fields, nthread and ftype, are set here
            MemoryLayout params = MemoryLayout.structLayout(MemoryLayout.sequenceLayout(32, ValueLayout.JAVA_LONG));
            MethodHandle defaults = function(lib, "llama_model_quantize_default_params", FunctionDescriptor.of(params));
            MethodHandle quantize = function(lib, "llama_model_quantize", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                    ValueLayout.ADDRESS, ValueLayout.ADDRESS));
            for (Path hf : new Path[] {wide, tiny}) {
                String name = hf.getFileName().toString();
                Path f32 = dir.resolve(name + "-f32.gguf");
                Path ours = dir.resolve(name + "-q4_k_m.gguf");
                Path theirs = dir.resolve(name + "-llama-q4_k_m.gguf");
                Converter.convert(hf, f32, new Converter.Options(Converter.Format.GGUF, DType.F32, false, null));
                Converter.convert(f32, ours, Converter.Options.of(Converter.Format.GGUF, "q4_k_m", false, null));
                MemorySegment p = (MemorySegment) defaults.invokeExact((SegmentAllocator) arena);
                p.set(ValueLayout.JAVA_INT, 0, 2); // nthread
                p.set(ValueLayout.JAVA_INT, 4, 15); // LLAMA_FTYPE_MOSTLY_Q4_K_M
                int rc = (int) quantize.invokeExact(arena.allocateFrom(f32.toString()), arena.allocateFrom(theirs.toString()), p);
                assertThat(rc).as("llama_model_quantize of %s", name).isZero();
                try (GgufFile o = GgufFile.open(ours); GgufFile t = GgufFile.open(theirs)) {
                    assertThat(o.names()).containsExactlyInAnyOrderElementsOf(t.names());
                    for (String tensor : t.names()) {
                        Tensor a = o.tensor(tensor);
                        Tensor b = t.tensor(tensor);
                        assertThat(a.dtype()).as("%s: type of %s", name, tensor).isEqualTo(b.dtype());
                        assertThat(a.data().mismatch(b.data())).as("%s: bytes of %s (%s)", name, tensor, a.dtype()).isEqualTo(-1L);
                        typesSeen[a.dtype().ordinal()]++;
                    }
                }
            }
        }
        for (DType expected : new DType[] {DType.Q4_K, DType.Q6_K, DType.Q5_0, DType.Q8_0}) {
            assertThat(typesSeen[expected.ordinal()]).as("%s tensors compared", expected).isPositive();
        }
    }
}
