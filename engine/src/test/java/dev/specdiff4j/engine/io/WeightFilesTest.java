package dev.specdiff4j.engine.io;

import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.engine.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Round trips through the writers and readers, sharded checkpoints, and hand-made broken files. */
class WeightFilesTest {
    @TempDir
    Path dir;

    static final Arena ARENA = Arena.ofAuto();

    static TensorWriteSource source(Tensor t) {
        return new TensorWriteSource(t.name(), t.dtype(), t.shape(), out -> out.write(t.data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)));
    }

    static Tensor tensor(String name, DType dtype, long rows, long cols, float start) {
        float[] v = new float[(int) (rows * cols)];
        for (int i = 0; i < v.length; i++) v[i] = start + i * 0.25f;
        return Tensor.of(name, dtype, new long[] {rows, cols}, v, ARENA);
    }

    static Map<String, Object> everyMetadataType() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("general.architecture", "test");
        m.put("t.string", "hé 🦙");
        m.put("t.bool", true);
        m.put("t.i32", -5);
        m.put("t.u32", new GgufWriter.UInt32(4_000_000_000L));
        m.put("t.i64", -7_000_000_000L);
        m.put("t.f32", 1.5f);
        m.put("t.f64", 2.25);
        m.put("t.strings", List.of("a", "b c", ""));
        m.put("t.ints", List.of(1, 2, 3));
        m.put("t.empty", List.of());
        return m;
    }

    static Path writeSmallGguf(Path file) throws IOException {
        List<TensorWriteSource> tensors = List.of(source(tensor("a", DType.F32, 3, 5, 0)), source(tensor("b", DType.F16, 2, 7, 1)),
                source(tensor("c", DType.Q8_0, 2, 64, -3)), source(tensor("d", DType.BF16, 1, 3, 2)));
        GgufWriter.write(file, true, everyMetadataType(), tensors);
        return file;
    }

    @Test
    void ggufRoundTripKeepsMetadataAndTensors() throws IOException {
        Path file = writeSmallGguf(dir.resolve("small.gguf"));
        try (GgufFile g = GgufFile.open(file)) {
            assertThat(g.version()).isEqualTo(3);
            Map<String, Object> m = g.metadata();
            assertThat(m.get("t.string")).isEqualTo("hé 🦙");
            assertThat(m.get("t.bool")).isEqualTo(true);
            assertThat(m.get("t.i32")).isEqualTo(-5L);
            assertThat(m.get("t.u32")).isEqualTo(4_000_000_000L);
            assertThat(m.get("t.i64")).isEqualTo(-7_000_000_000L);
            assertThat(m.get("t.f32")).isEqualTo(1.5);
            assertThat(m.get("t.f64")).isEqualTo(2.25);
            assertThat(m.get("t.strings")).isEqualTo(List.of("a", "b c", ""));
            assertThat(m.get("t.ints")).isEqualTo(List.of(1L, 2L, 3L));
            assertThat(g.names()).containsExactly("a", "b", "c", "d");
            Tensor a = g.tensor("a");
            assertThat(a.shape()).containsExactly(3, 5);
            assertThat(a.toFloatArray()).containsExactly(tensor("a", DType.F32, 3, 5, 0).toFloatArray());
            assertThat(g.tensor("b").toFloatArray()).containsExactly(tensor("b", DType.F16, 2, 7, 1).toFloatArray());
            assertThat(g.tensor("c").toFloatArray()).containsExactly(tensor("c", DType.Q8_0, 2, 64, -3).toFloatArray());
            assertThat(g.tensor("d").dtype()).isEqualTo(DType.BF16);
            assertThat(g.tensorInfos().get("c").offset() % 32).isZero();
        }
    }

    @Test
    void safetensorsRoundTripAndSharding() throws IOException {
        Tensor x = tensor("x", DType.F32, 4, 3, 0);
        Tensor y = tensor("y", DType.BF16, 2, 2, 5);
        SafetensorsWriter.write(dir.resolve("model-00001-of-00002.safetensors"), false, Map.of("format", "pt"), List.of(source(x)));
        SafetensorsWriter.write(dir.resolve("model-00002-of-00002.safetensors"), false, Map.of(), List.of(source(y)));
        Files.writeString(dir.resolve("model.safetensors.index.json"),
                "{\"metadata\":{},\"weight_map\":{\"x\":\"model-00001-of-00002.safetensors\",\"y\":\"model-00002-of-00002.safetensors\"}}");
        try (SafetensorsCheckpoint c = SafetensorsCheckpoint.open(dir)) {
            assertThat(c.names()).containsExactlyInAnyOrder("x", "y");
            assertThat(c.tensor("x").toFloatArray()).containsExactly(x.toFloatArray());
            assertThat(c.tensor("y").toFloatArray()).containsExactly(y.toFloatArray());
            assertThat(c.files()).hasSize(2);
            assertThat(c.files().get(0).metadata()).containsEntry("format", "pt");
        }
    }

    @Test
    void writersRefuseToOverwriteAndLeaveNoHalfFile() throws IOException {
        Path file = dir.resolve("out.safetensors");
        Files.writeString(file, "keep me");
        assertThatThrownBy(() -> SafetensorsWriter.write(file, false, Map.of(), List.of())).hasMessageContaining("exists");
        assertThat(Files.readString(file)).isEqualTo("keep me");
        TensorWriteSource broken = new TensorWriteSource("t", DType.F32, new long[] {4}, out -> {
            out.write(new byte[8]);
            throw new IOException("disk on fire");
        });
        assertThatThrownBy(() -> GgufWriter.write(dir.resolve("x.gguf"), false, Map.of(), List.of(broken))).hasMessageContaining("disk on fire");
        assertThat(dir.resolve("x.gguf")).doesNotExist();
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("out.safetensors");
        }
    }

    // ---------------------------------------------------------------- hand-made broken safetensors

    private Path safetensors(String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).array());
        out.write(h);
        out.write(new byte[dataBytes]);
        Path p = dir.resolve("broken-" + Math.abs(header.hashCode()) + ".safetensors");
        Files.write(p, out.toByteArray());
        return p;
    }

    @Test
    void brokenSafetensorsHeadersAreClearErrors() throws IOException {
        Path pastEnd = safetensors("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}", 8);
        assertThatThrownBy(() -> SafetensorsFile.open(pastEnd)).isInstanceOf(WeightFileException.class)
                .hasMessageContaining(pastEnd.toString()).hasMessageContaining("'w'").hasMessageContaining("past the end");
        Path wrongSize = safetensors("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,16]}}", 16);
        assertThatThrownBy(() -> SafetensorsFile.open(wrongSize)).hasMessageContaining("needs 24 bytes");
        Path overlap = safetensors("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12);
        assertThatThrownBy(() -> SafetensorsFile.open(overlap)).hasMessageContaining("overlap");
        Path absurd = safetensors("{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,16]}}", 16);
        assertThatThrownBy(() -> SafetensorsFile.open(absurd)).hasMessageContaining("absurdly large");
        Path negative = safetensors("{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4);
        assertThatThrownBy(() -> SafetensorsFile.open(negative)).hasMessageContaining("non-negative");
        Path unknownDtype = safetensors("{\"w\":{\"dtype\":\"Q4\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1);
        assertThatThrownBy(() -> SafetensorsFile.open(unknownDtype)).hasMessageContaining("unknown dtype 'Q4'");
        Path notJson = safetensors("{\"w\": [", 0);
        assertThatThrownBy(() -> SafetensorsFile.open(notJson)).hasMessageContaining("not valid JSON");
        Path intTensor = safetensors("{\"w\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8);
        try (SafetensorsFile f = SafetensorsFile.open(intTensor)) {
            assertThatThrownBy(() -> f.tensor("w")).hasMessageContaining("dtype I64, which cannot be used as a weight");
            assertThatThrownBy(() -> f.tensor("v")).hasMessageContaining("'v'").hasMessageContaining("missing");
        }
    }

    @Test
    void hugeOrTinyHeaderLengthIsAClearError() throws IOException {
        Path huge = dir.resolve("huge.safetensors");
        Files.write(huge, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(Long.MAX_VALUE).array());
        assertThatThrownBy(() -> SafetensorsFile.open(huge)).hasMessageContaining("header length");
        Path tiny = dir.resolve("tiny.safetensors");
        Files.write(tiny, new byte[3]);
        assertThatThrownBy(() -> SafetensorsFile.open(tiny)).hasMessageContaining("too short");
    }

    @Test
    void brokenGgufIsAClearError() throws IOException {
        Path notGguf = dir.resolve("x.gguf");
        Files.writeString(notGguf, "definitely not a gguf file");
        assertThatThrownBy(() -> GgufFile.open(notGguf)).hasMessageContaining("bad magic");
        byte[] valid = Files.readAllBytes(writeSmallGguf(dir.resolve("v.gguf")));
        ByteBuffer b = ByteBuffer.wrap(valid.clone()).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(4, 1);
        Path v1 = dir.resolve("v1.gguf");
        Files.write(v1, b.array());
        assertThatThrownBy(() -> GgufFile.open(v1)).hasMessageContaining("version 1 is not supported");
        b = ByteBuffer.wrap(valid.clone()).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(8, Long.MAX_VALUE / 2);
        Path manyTensors = dir.resolve("many.gguf");
        Files.write(manyTensors, b.array());
        assertThatThrownBy(() -> GgufFile.open(manyTensors)).hasMessageContaining("tensor count");
        Path truncated = dir.resolve("truncated.gguf");
        Files.write(truncated, java.util.Arrays.copyOf(valid, valid.length - 40));
        assertThatThrownBy(() -> GgufFile.open(truncated)).isInstanceOf(WeightFileException.class)
                .hasMessageContaining("tensor 'd'").hasMessageContaining("truncated");
    }

    @Test
    void tensorViewsNeedTheRightByteCount() {
        MemorySegment seg = ARENA.allocate(10);
        assertThatThrownBy(() -> new Tensor("t", DType.F32, new long[] {3}, seg)).hasMessageContaining("needs 12 bytes");
        assertThatThrownBy(() -> Tensor.of("q", DType.Q8_0, new long[] {1, 31}, new float[31], ARENA)).hasMessageContaining("Q8_0 blocks");
    }
}
