package dev.specdiff4j.engine.io;

import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.engine.tensor.Tensor;
import dev.specdiff4j.json.Json;
import dev.specdiff4j.json.JsonException;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A {@code .safetensors} file, memory-mapped through the FFM API (no heap copy, no 2 GB limit). The
 * header is validated up front: its length, its JSON, every dtype and shape, that each tensor's byte
 * range matches shape × dtype, lies inside the file, and overlaps no other.
 */
public final class SafetensorsFile implements TensorSource {
    private static final long MAX_HEADER = 100L << 20;

    /** A tensor entry of the header; {@code dtype} is null for dtypes that cannot be used as weights. */
    public record Entry(String name, String dtypeName, DType dtype, long[] shape, long begin, long end) {
    }

    private final Path path;
    private final Arena arena;
    private final MemorySegment data;
    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    private SafetensorsFile(Path path, Arena arena, MemorySegment file) {
        this.path = path;
        this.arena = arena;
        String where = path.toString();
        long size = file.byteSize();
        if (size < 8) throw new WeightFileException(where, "is " + size + " bytes long, too short for a safetensors header");
        long headerLength = file.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
        if (headerLength < 2 || headerLength > MAX_HEADER || headerLength > size - 8) {
            throw new WeightFileException(where, "header length " + Long.toUnsignedString(headerLength)
                    + " is impossible for a file of " + size + " bytes (truncated or not a safetensors file)");
        }
        String headerText;
        try {
            headerText = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(file.asSlice(8, headerLength).asByteBuffer()).toString();
        } catch (CharacterCodingException e) {
            throw new WeightFileException(where, "the header is not valid UTF-8");
        }
        Map<String, Object> header;
        try {
            header = Json.parseObject(headerText);
        } catch (JsonException e) {
            throw new WeightFileException(where, "the header is not valid JSON: " + e.getMessage());
        }
        this.data = file.asSlice(8 + headerLength);
        parseHeader(where, header);
    }

    /** Maps and validates a file; the mapping lives until {@link #close()}. */
    public static SafetensorsFile open(Path path) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment segment = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
            return new SafetensorsFile(path, arena, segment);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private void parseHeader(String where, Map<String, Object> header) {
        List<Entry> byOffset = new ArrayList<>();
        for (Map.Entry<String, Object> e : header.entrySet()) {
            String name = e.getKey();
            if (name.equals("__metadata__")) {
                if (!(e.getValue() instanceof Map<?, ?> m)) throw new WeightFileException(where, "__metadata__ is not an object");
                m.forEach((k, v) -> metadata.put(String.valueOf(k), String.valueOf(v)));
                continue;
            }
            if (!(e.getValue() instanceof Map<?, ?> info)) throw new WeightFileException(where, name, "header entry is not an object");
            if (!(info.get("dtype") instanceof String dtypeName)) throw new WeightFileException(where, name, "has no dtype");
            if (!(info.get("shape") instanceof List<?> shapeList)) throw new WeightFileException(where, name, "has no shape");
            if (!(info.get("data_offsets") instanceof List<?> offsets) || offsets.size() != 2
                    || !(offsets.get(0) instanceof Long begin) || !(offsets.get(1) instanceof Long end)) {
                throw new WeightFileException(where, name, "data_offsets is not a pair of integers");
            }
            if (shapeList.size() > 8) throw new WeightFileException(where, name, "has " + shapeList.size() + " dimensions");
            long[] shape = new long[shapeList.size()];
            long elements = 1;
            for (int i = 0; i < shape.length; i++) {
                if (!(shapeList.get(i) instanceof Long d) || d < 0) {
                    throw new WeightFileException(where, name, "shape " + shapeList + " has a dimension that is not a non-negative integer");
                }
                shape[i] = d;
                try {
                    elements = Math.multiplyExact(elements, d);
                } catch (ArithmeticException overflow) {
                    throw new WeightFileException(where, name, "shape " + shapeList + " is absurdly large");
                }
            }
            long elementBytes = elementBytes(dtypeName);
            if (elementBytes < 0) throw new WeightFileException(where, name, "unknown dtype '" + dtypeName + "'");
            long expected;
            try {
                expected = Math.multiplyExact(elements, elementBytes);
            } catch (ArithmeticException overflow) {
                throw new WeightFileException(where, name, "shape " + shapeList + " is absurdly large");
            }
            if (begin < 0 || end < begin) throw new WeightFileException(where, name, "data_offsets [" + begin + ", " + end + "] are reversed or negative");
            if (end - begin != expected) {
                throw new WeightFileException(where, name, dtypeName + " " + shapeList + " needs " + expected
                        + " bytes but data_offsets cover " + (end - begin));
            }
            if (end > data.byteSize()) {
                throw new WeightFileException(where, name, "data_offsets [" + begin + ", " + end + "] run past the end of the data ("
                        + data.byteSize() + " bytes; the file is truncated or corrupt)");
            }
            DType dtype = switch (dtypeName) {
                case "F32" -> DType.F32;
                case "F16" -> DType.F16;
                case "BF16" -> DType.BF16;
                default -> null;
            };
            Entry entry = new Entry(name, dtypeName, dtype, shape, begin, end);
            entries.put(name, entry);
            byOffset.add(entry);
        }
        byOffset.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        for (int i = 1; i < byOffset.size(); i++) {
            Entry prev = byOffset.get(i - 1);
            Entry cur = byOffset.get(i);
            if (cur.begin() < prev.end() && cur.end() > cur.begin()) {
                throw new WeightFileException(where, cur.name(), "its bytes overlap those of '" + prev.name() + "'");
            }
        }
    }

    private static long elementBytes(String dtype) {
        return switch (dtype) {
            case "F64", "I64", "U64" -> 8;
            case "F32", "I32", "U32" -> 4;
            case "F16", "BF16", "I16", "U16" -> 2;
            case "I8", "U8", "BOOL", "F8_E4M3", "F8_E5M2" -> 1;
            default -> -1;
        };
    }

    public Path path() {
        return path;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    public Map<String, Entry> entries() {
        return entries;
    }

    @Override
    public String description() {
        return path.toString();
    }

    @Override
    public List<String> names() {
        return List.copyOf(entries.keySet());
    }

    @Override
    public Optional<Tensor> find(String name) {
        Entry e = entries.get(name);
        if (e == null) return Optional.empty();
        if (e.dtype() == null) {
            throw new WeightFileException(description(), name, "has dtype " + e.dtypeName() + ", which cannot be used as a weight (F32, F16 or BF16)");
        }
        return Optional.of(new Tensor(name, e.dtype(), e.shape(), data.asSlice(e.begin(), e.end() - e.begin())));
    }

    @Override
    public void close() {
        arena.close();
    }
}
