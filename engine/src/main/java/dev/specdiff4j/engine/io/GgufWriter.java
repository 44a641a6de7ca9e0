package dev.specdiff4j.engine.io;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Writes GGUF v3: metadata, tensor infos, then each tensor's data, aligned. Tensor bodies are written one
 * after the other through their callbacks (streaming). Metadata values: {@link String}, {@link Boolean},
 * {@link Integer} (u32/i32 as i32), {@link Long} (i64), {@link Float} (f32), {@link Double} (f64),
 * {@link UInt32} for an explicit u32, and lists of one of these.
 */
public final class GgufWriter {
    public static final int ALIGNMENT = 32;

    /** An unsigned 32-bit metadata value (llama.cpp expects u32 for counts such as gpt2.block_count). */
    public record UInt32(long value) {
        public UInt32 {
            if (value < 0 || value > 0xFFFFFFFFL) throw new IllegalArgumentException("not a u32: " + value);
        }
    }

    private GgufWriter() {
    }

    public static void write(Path file, boolean overwrite, Map<String, Object> metadata, List<TensorWriteSource> tensors)
            throws IOException {
        AtomicFile.write(file, overwrite, out -> write(out, metadata, tensors));
    }

    public static void write(OutputStream raw, Map<String, Object> metadata, List<TensorWriteSource> tensors) throws IOException {
        CountingOutput counting = new CountingOutput(raw);
        Le out = new Le(counting);
        out.i32(GgufFile.MAGIC);
        out.i32(3);
        out.i64(tensors.size());
        out.i64(metadata.size());
        for (Map.Entry<String, Object> e : metadata.entrySet()) {
            out.string(e.getKey());
            writeValue(out, e.getKey(), e.getValue(), true);
        }
        long offset = 0;
        for (TensorWriteSource t : tensors) {
            out.string(t.name());
            long[] shape = t.shape();
            out.i32(shape.length);
            for (int d = shape.length - 1; d >= 0; d--) out.i64(shape[d]);
            out.i32(GgmlType.of(t.dtype()).id);
            out.i64(offset);
            offset = GgufFile.alignUp(offset + t.byteSize(), ALIGNMENT);
        }
        out.flush();
        counting.zeros(GgufFile.alignUp(counting.count(), ALIGNMENT) - counting.count());
        long dataStart = counting.count();
        for (TensorWriteSource t : tensors) {
            long before = counting.count();
            t.body().writeTo(counting);
            long written = counting.count() - before;
            if (written != t.byteSize()) {
                throw new IOException("tensor '" + t.name() + "' wrote " + written + " bytes instead of " + t.byteSize());
            }
            counting.zeros(GgufFile.alignUp(counting.count() - dataStart, ALIGNMENT) - (counting.count() - dataStart));
        }
        counting.flush();
    }

    private static void writeValue(Le out, String key, Object value, boolean withType) throws IOException {
        switch (value) {
            case String s -> {
                if (withType) out.i32(8);
                out.string(s);
            }
            case Boolean b -> {
                if (withType) out.i32(7);
                out.u8(b ? 1 : 0);
            }
            case Integer i -> {
                if (withType) out.i32(5);
                out.i32(i);
            }
            case UInt32 u -> {
                if (withType) out.i32(4);
                out.i32((int) u.value());
            }
            case Long l -> {
                if (withType) out.i32(11);
                out.i64(l);
            }
            case Float f -> {
                if (withType) out.i32(6);
                out.f32(f);
            }
            case Double d -> {
                if (withType) out.i32(12);
                out.f64(d);
            }
            case List<?> list -> {
                if (!withType) throw new IllegalArgumentException("metadata '" + key + "': nested arrays are not supported");
                out.i32(9);
                int elementType = list.isEmpty() ? 8 : typeId(key, list.get(0));
                out.i32(elementType);
                out.i64(list.size());
                for (Object o : list) {
                    if (typeId(key, o) != elementType) throw new IllegalArgumentException("metadata '" + key + "' mixes value types");
                    writeValue(out, key, o, false);
                }
            }
            default -> throw new IllegalArgumentException("metadata '" + key + "' has unsupported type " + value.getClass().getSimpleName());
        }
    }

    private static int typeId(String key, Object o) {
        return switch (o) {
            case String s -> 8;
            case Boolean b -> 7;
            case Integer i -> 5;
            case UInt32 u -> 4;
            case Long l -> 11;
            case Float f -> 6;
            case Double d -> 12;
            default -> throw new IllegalArgumentException("metadata '" + key + "' has unsupported element type " + o.getClass().getSimpleName());
        };
    }

    /** Little-endian primitive output. */
    private static final class Le {
        private final DataOutputStream out;
        private final ByteBuffer buffer = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);

        Le(OutputStream out) {
            this.out = new DataOutputStream(out);
        }

        void u8(int v) throws IOException {
            out.write(v);
        }

        void i32(int v) throws IOException {
            buffer.clear();
            out.write(buffer.putInt(v).array(), 0, 4);
        }

        void i64(long v) throws IOException {
            buffer.clear();
            out.write(buffer.putLong(v).array(), 0, 8);
        }

        void f32(float v) throws IOException {
            buffer.clear();
            out.write(buffer.putFloat(v).array(), 0, 4);
        }

        void f64(double v) throws IOException {
            buffer.clear();
            out.write(buffer.putDouble(v).array(), 0, 8);
        }

        void string(String s) throws IOException {
            byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
            i64(bytes.length);
            out.write(bytes);
        }

        void flush() throws IOException {
            out.flush();
        }
    }
}
