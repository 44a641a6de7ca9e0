package dev.specdiff4j.weights;

import dev.specdiff4j.engine.io.GgufWriter;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * GGUF metadata read back ({@code GgufFile} widens every integer to {@link Long} and every float to {@link Double}) in the
 * value types llama.cpp checks when it reads them, as its converter writes them: integers u32 (the token types i32), floats
 * f32; strings, booleans and arrays of them as they are. {@code general.alignment} is left to the writer.
 */
final class GgufMetadataTypes {
    private GgufMetadataTypes() {
    }

    static Map<String, Object> narrowed(Map<String, Object> metadata) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : metadata.entrySet()) {
            if (e.getKey().equals("general.alignment")) continue;
            out.put(e.getKey(), narrowed(e.getKey(), e.getValue()));
        }
        return out;
    }

    private static Object narrowed(String key, Object v) {
        boolean signed = key.equals("tokenizer.ggml.token_type");
        if (v instanceof Long l) return signed ? (Object) (int) (long) l : uint32(key, l);
        if (v instanceof Double d) return (float) (double) d;
        if (v instanceof List<?> list) return list.stream().map(x -> x instanceof List<?> ? x : narrowed(key, x)).toList();
        return v;
    }

    private static Object uint32(String key, long l) {
        if (l < 0 || l > 0xFFFF_FFFFL) return l; // a u64 / i64 value keeps its 64 bits
        return new GgufWriter.UInt32(l);
    }
}
