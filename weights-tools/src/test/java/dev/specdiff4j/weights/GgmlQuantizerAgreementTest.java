package dev.specdiff4j.weights;

import dev.specdiff4j.engine.io.GgufFile;
import dev.specdiff4j.engine.io.SafetensorsCheckpoint;
import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.engine.tensor.Tensor;
import dev.specdiff4j.tokenizer.testing.ExternalFixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Our Q8_0, F16 and BF16 bytes against llama.cpp's own quantizer: {@code ggml_quantize_chunk},
 * {@code ggml_fp32_to_fp16_row} and {@code ggml_fp32_to_bf16_row_ref} from libggml-base.so of the prebuilt llama.cpp in the npm package
 * {@code @node-llama-cpp/linux-x64} 3.21.1 (installed by .ci/run), called through the FFM API.
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
}
