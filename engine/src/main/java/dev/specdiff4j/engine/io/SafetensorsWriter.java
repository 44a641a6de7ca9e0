package dev.specdiff4j.engine.io;

import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.json.Json;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Writes a {@code .safetensors} file, streaming each tensor's bytes through its callback. F32, F16 and BF16 only. */
public final class SafetensorsWriter {
    private SafetensorsWriter() {
    }

    public static void write(Path file, boolean overwrite, Map<String, String> metadata, List<TensorWriteSource> tensors)
            throws IOException {
        AtomicFile.write(file, overwrite, out -> write(out, metadata, tensors));
    }

    public static void write(OutputStream raw, Map<String, String> metadata, List<TensorWriteSource> tensors) throws IOException {
        Map<String, Object> header = new LinkedHashMap<>();
        if (metadata != null && !metadata.isEmpty()) header.put("__metadata__", new LinkedHashMap<>(metadata));
        long offset = 0;
        for (TensorWriteSource t : tensors) {
            String dtype = switch (t.dtype()) {
                case F32 -> "F32";
                case F16 -> "F16";
                case BF16 -> "BF16";
                default -> throw new IllegalArgumentException("safetensors has no " + t.dtype() + " dtype (tensor '" + t.name() + "'); use GGUF");
            };
            Map<String, Object> info = new LinkedHashMap<>();
            info.put("dtype", dtype);
            List<Object> shape = new ArrayList<>();
            for (long d : t.shape()) shape.add(d);
            info.put("shape", shape);
            info.put("data_offsets", List.of(offset, offset + t.byteSize()));
            header.put(t.name(), info);
            offset += t.byteSize();
        }
        byte[] json = Json.write(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        CountingOutput out = new CountingOutput(raw);
        out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
        out.write(json);
        for (int i = json.length; i < padded; i++) out.write(' ');
        for (TensorWriteSource t : tensors) {
            long before = out.count();
            t.body().writeTo(out);
            if (out.count() - before != t.byteSize()) {
                throw new IOException("tensor '" + t.name() + "' wrote " + (out.count() - before) + " bytes instead of " + t.byteSize());
            }
        }
        out.flush();
    }

    /** True when safetensors can hold this dtype. */
    public static boolean supports(DType dtype) {
        return !dtype.isQuantized();
    }
}
