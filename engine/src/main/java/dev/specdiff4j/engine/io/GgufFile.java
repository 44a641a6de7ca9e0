package dev.specdiff4j.engine.io;

import dev.specdiff4j.engine.tensor.Tensor;

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
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A GGUF file (versions 2 and 3), memory-mapped. Metadata values become Java values: integers of every
 * width {@link Long} (u64 above 2^63 stays negative, as its bit pattern), f32 / f64 {@link Double},
 * bool {@link Boolean}, string {@link String}, arrays {@link List}. Tensor dimensions are stored in GGUF
 * fastest-varying first ({@code ne0}); {@link Tensor} shapes are row-major, so they are reversed.
 *
 * <p>Everything is bounds-checked while parsing: counts and lengths that cannot fit in the file, offsets
 * past the end, misaligned or overlapping tensors, unknown types, absurd shapes give an error naming the
 * file (and the tensor), never an out-of-memory error or a crash.
 */
public final class GgufFile implements TensorSource {
    public static final int MAGIC = 0x46554747; // "GGUF" little-endian
    static final int MAX_DIMS = 4;

    /** A tensor as described in the file. */
    public record TensorInfo(String name, GgmlType type, long[] shape, long offset, long bytes) {
    }

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble DOUBLE = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path path;
    private final Arena arena;
    private final MemorySegment file;
    private final String where;
    private long pos;
    private final int version;
    private final Map<String, Object> metadata = new LinkedHashMap<>();
    private final Map<String, TensorInfo> tensors = new LinkedHashMap<>();
    private final long alignment;
    private final long dataStart;

    private GgufFile(Path path, Arena arena, MemorySegment file) {
        this.path = path;
        this.arena = arena;
        this.file = file;
        this.where = path.toString();
        need(24, "the GGUF header");
        if (file.get(INT, 0) != MAGIC) throw new WeightFileException(where, "is not a GGUF file (bad magic)");
        version = file.get(INT, 4);
        if (version != 2 && version != 3) {
            throw new WeightFileException(where, "GGUF version " + version + " is not supported (2 and 3 are)");
        }
        pos = 8;
        long tensorCount = readLong();
        long kvCount = readLong();
        // every key-value pair takes at least 12 bytes, every tensor info at least 24
        if (kvCount < 0 || kvCount > file.byteSize() / 12) throw new WeightFileException(where, "metadata count " + kvCount + " is impossible for the file size");
        if (tensorCount < 0 || tensorCount > file.byteSize() / 24) throw new WeightFileException(where, "tensor count " + tensorCount + " is impossible for the file size");
        for (long i = 0; i < kvCount; i++) {
            String key = readString("metadata key");
            int type = readInt();
            Object value = readValue(type, key, 0);
            if (metadata.put(key, value) != null) throw new WeightFileException(where, "metadata key '" + key + "' appears twice");
        }
        Object align = metadata.getOrDefault("general.alignment", 32L);
        if (!(align instanceof Long a) || a <= 0 || (a & (a - 1)) != 0 || a > 1 << 20) {
            throw new WeightFileException(where, "general.alignment " + align + " is not a power of two");
        }
        alignment = (Long) align;
        List<TensorInfo> infos = new ArrayList<>();
        for (long i = 0; i < tensorCount; i++) infos.add(readTensorInfo());
        dataStart = alignUp(pos, alignment);
        long dataSize = file.byteSize() - dataStart;
        if (dataSize < 0) throw new WeightFileException(where, "is truncated before its tensor data");
        for (TensorInfo t : infos) {
            if (t.offset() % alignment != 0) {
                throw new WeightFileException(where, t.name(), "offset " + t.offset() + " is not aligned to " + alignment);
            }
            if (t.offset() < 0 || t.offset() > dataSize || t.bytes() > dataSize - t.offset()) {
                throw new WeightFileException(where, t.name(), "data [" + t.offset() + ", " + (t.offset() + t.bytes())
                        + ") runs past the end of the tensor data (" + dataSize + " bytes; the file is truncated or corrupt)");
            }
            if (tensors.put(t.name(), t) != null) throw new WeightFileException(where, t.name(), "appears twice");
        }
        List<TensorInfo> byOffset = new ArrayList<>(infos);
        byOffset.sort(Comparator.comparingLong(TensorInfo::offset));
        for (int i = 1; i < byOffset.size(); i++) {
            TensorInfo prev = byOffset.get(i - 1);
            TensorInfo cur = byOffset.get(i);
            if (cur.bytes() > 0 && cur.offset() < prev.offset() + prev.bytes()) {
                throw new WeightFileException(where, cur.name(), "its data overlaps that of '" + prev.name() + "'");
            }
        }
    }

    public static GgufFile open(Path path) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment segment = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
            return new GgufFile(path, arena, segment);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private TensorInfo readTensorInfo() {
        String name = readString("tensor name");
        int dims = readInt();
        if (dims < 1 || dims > MAX_DIMS) throw new WeightFileException(where, name, "has " + dims + " dimensions (1 to 4 allowed)");
        long[] ne = new long[dims];
        long elements = 1;
        for (int d = 0; d < dims; d++) {
            ne[d] = readLong();
            if (ne[d] < 0) throw new WeightFileException(where, name, "dimension " + Long.toUnsignedString(ne[d]) + " is absurd");
            try {
                elements = Math.multiplyExact(elements, ne[d]);
            } catch (ArithmeticException e) {
                throw new WeightFileException(where, name, "shape " + Arrays.toString(ne) + " is absurdly large");
            }
        }
        int typeId = readInt();
        GgmlType type = GgmlType.byId(typeId & 0xFFFFFFFFL);
        if (type == null) throw new WeightFileException(where, name, "unknown ggml type " + Integer.toUnsignedString(typeId));
        if (ne[0] % type.blockElements != 0) {
            throw new WeightFileException(where, name, "row length " + ne[0] + " is not a multiple of the " + type + " block (" + type.blockElements + ")");
        }
        long bytes;
        try {
            bytes = Math.multiplyExact(elements / type.blockElements, (long) type.blockBytes);
        } catch (ArithmeticException e) {
            throw new WeightFileException(where, name, "shape " + Arrays.toString(ne) + " is absurdly large");
        }
        long offset = readLong();
        long[] shape = new long[dims];
        for (int d = 0; d < dims; d++) shape[d] = ne[dims - 1 - d];
        return new TensorInfo(name, type, shape, offset, bytes);
    }

    private Object readValue(int type, String key, int depth) {
        return switch (type) {
            case 0 -> (long) (readByte() & 0xFF);
            case 1 -> (long) readByte();
            case 2 -> (long) (readShort() & 0xFFFF);
            case 3 -> (long) readShort();
            case 4 -> readInt() & 0xFFFFFFFFL;
            case 5 -> (long) readInt();
            case 6 -> (double) readFloat();
            case 7 -> {
                byte b = readByte();
                if (b != 0 && b != 1) throw new WeightFileException(where, "metadata '" + key + "' is a bool with value " + b);
                yield b == 1;
            }
            case 8 -> readString("metadata '" + key + "'");
            case 9 -> {
                if (depth > 0) throw new WeightFileException(where, "metadata '" + key + "' nests arrays, which is not supported");
                int elementType = readInt();
                long count = readLong();
                if (count < 0 || count > (file.byteSize() - pos)) {
                    throw new WeightFileException(where, "metadata '" + key + "' claims " + Long.toUnsignedString(count)
                            + " array elements, more than the file can hold");
                }
                List<Object> list = new ArrayList<>((int) Math.min(count, 1 << 20));
                for (long i = 0; i < count; i++) list.add(readValue(elementType, key, depth + 1));
                yield Collections.unmodifiableList(list);
            }
            case 10, 11 -> readLong();
            case 12 -> readDouble();
            default -> throw new WeightFileException(where, "metadata '" + key + "' has unknown value type " + type);
        };
    }

    private String readString(String what) {
        long length = readLong();
        if (length < 0 || length > file.byteSize() - pos) {
            throw new WeightFileException(where, what + " claims a string of " + Long.toUnsignedString(length)
                    + " bytes at offset " + (pos - 8) + ", past the end of the file (truncated or corrupt)");
        }
        if (length > Integer.MAX_VALUE - 16) throw new WeightFileException(where, what + " is an absurdly long string");
        MemorySegment bytes = file.asSlice(pos, length);
        pos += length;
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(bytes.asByteBuffer()).toString();
        } catch (CharacterCodingException e) {
            throw new WeightFileException(where, what + " at offset " + (pos - length) + " is not valid UTF-8");
        }
    }

    private void need(long bytes, String what) {
        if (bytes > file.byteSize() - pos) {
            throw new WeightFileException(where, "is truncated: " + what + " at offset " + pos + " runs past the end ("
                    + file.byteSize() + " bytes)");
        }
    }

    private byte readByte() {
        need(1, "a value");
        return file.get(ValueLayout.JAVA_BYTE, pos++);
    }

    private short readShort() {
        need(2, "a value");
        short v = file.get(SHORT, pos);
        pos += 2;
        return v;
    }

    private int readInt() {
        need(4, "a value");
        int v = file.get(INT, pos);
        pos += 4;
        return v;
    }

    private long readLong() {
        need(8, "a value");
        long v = file.get(LONG, pos);
        pos += 8;
        return v;
    }

    private float readFloat() {
        need(4, "a value");
        float v = file.get(FLOAT, pos);
        pos += 4;
        return v;
    }

    private double readDouble() {
        need(8, "a value");
        double v = file.get(DOUBLE, pos);
        pos += 8;
        return v;
    }

    static long alignUp(long value, long alignment) {
        return (value + alignment - 1) / alignment * alignment;
    }

    public int version() {
        return version;
    }

    public long alignment() {
        return alignment;
    }

    public Map<String, Object> metadata() {
        return Collections.unmodifiableMap(metadata);
    }

    public Map<String, TensorInfo> tensorInfos() {
        return Collections.unmodifiableMap(tensors);
    }

    /** A metadata string, or a clear error. */
    public String string(String key) {
        Object v = metadata.get(key);
        if (!(v instanceof String s)) throw new WeightFileException(where, "metadata '" + key + "' " + (v == null ? "is missing" : "is not a string"));
        return s;
    }

    /** A metadata integer, or a clear error. */
    public long integer(String key) {
        Object v = metadata.get(key);
        if (!(v instanceof Long l)) throw new WeightFileException(where, "metadata '" + key + "' " + (v == null ? "is missing" : "is not an integer"));
        return l;
    }

    /** A metadata number (integer or floating), or a clear error. */
    public double number(String key) {
        Object v = metadata.get(key);
        if (!(v instanceof Number n)) throw new WeightFileException(where, "metadata '" + key + "' " + (v == null ? "is missing" : "is not a number"));
        return n.doubleValue();
    }

    @Override
    public String description() {
        return path.toString();
    }

    public Path path() {
        return path;
    }

    @Override
    public List<String> names() {
        return List.copyOf(tensors.keySet());
    }

    @Override
    public Optional<Tensor> find(String name) {
        TensorInfo t = tensors.get(name);
        if (t == null) return Optional.empty();
        if (t.type().dtype == null) {
            throw new WeightFileException(where, name, "has type " + t.type()
                    + ", which specdiff4j cannot compute with (F32, F16, BF16, Q8_0, Q4_0, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K)");
        }
        return Optional.of(new Tensor(name, t.type().dtype, t.shape(), file.asSlice(dataStart + t.offset(), t.bytes())));
    }

    @Override
    public void close() {
        arena.close();
    }
}
