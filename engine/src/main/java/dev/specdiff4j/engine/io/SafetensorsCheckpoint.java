package dev.specdiff4j.engine.io;

import dev.specdiff4j.engine.tensor.Tensor;
import dev.specdiff4j.json.Json;
import dev.specdiff4j.json.JsonException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The weights of an HF model folder: {@code model.safetensors}, or the shards named by
 * {@code model.safetensors.index.json}, or the only {@code *.safetensors} file present.
 */
public final class SafetensorsCheckpoint implements TensorSource {
    private final String description;
    private final List<SafetensorsFile> files;
    private final Map<String, SafetensorsFile> owner = new LinkedHashMap<>();

    private SafetensorsCheckpoint(String description, List<SafetensorsFile> files) {
        this.description = description;
        this.files = files;
    }

    public static SafetensorsCheckpoint open(Path path) throws IOException {
        if (!Files.isDirectory(path)) {
            SafetensorsFile file = SafetensorsFile.open(path);
            SafetensorsCheckpoint c = new SafetensorsCheckpoint(path.toString(), List.of(file));
            file.entries().keySet().forEach(n -> c.owner.put(n, file));
            return c;
        }
        Path index = path.resolve("model.safetensors.index.json");
        if (Files.isRegularFile(index)) return openSharded(path, index);
        Path single = path.resolve("model.safetensors");
        if (Files.isRegularFile(single)) return open(single);
        List<Path> candidates;
        try (Stream<Path> list = Files.list(path)) {
            candidates = list.filter(p -> p.getFileName().toString().endsWith(".safetensors")).sorted().toList();
        }
        if (candidates.size() == 1) return open(candidates.get(0));
        throw new WeightFileException(path.toString(), candidates.isEmpty()
                ? "holds no model.safetensors (nor a model.safetensors.index.json)"
                : "holds several .safetensors files but no model.safetensors.index.json saying how they fit together");
    }

    private static SafetensorsCheckpoint openSharded(Path folder, Path index) throws IOException {
        Map<String, Object> json;
        try {
            json = Json.parseObject(Files.readString(index, StandardCharsets.UTF_8));
        } catch (JsonException e) {
            throw new WeightFileException(index.toString(), "is not valid JSON: " + e.getMessage());
        }
        if (!(json.get("weight_map") instanceof Map<?, ?> weightMap)) {
            throw new WeightFileException(index.toString(), "has no weight_map object");
        }
        Map<String, SafetensorsFile> shards = new LinkedHashMap<>();
        List<SafetensorsFile> opened = new ArrayList<>();
        SafetensorsCheckpoint checkpoint = new SafetensorsCheckpoint(folder.toString(), opened);
        try {
            for (String shard : new TreeSet<>(weightMap.values().stream().map(String::valueOf).toList())) {
                Path shardPath = folder.resolve(shard).normalize();
                if (!shardPath.startsWith(folder.normalize())) {
                    throw new WeightFileException(index.toString(), "shard '" + shard + "' lies outside the model folder");
                }
                if (!Files.isRegularFile(shardPath)) throw new WeightFileException(index.toString(), "shard '" + shard + "' is missing");
                SafetensorsFile f = SafetensorsFile.open(shardPath);
                opened.add(f);
                shards.put(shard, f);
            }
            for (Map.Entry<?, ?> e : weightMap.entrySet()) {
                String name = String.valueOf(e.getKey());
                SafetensorsFile f = shards.get(String.valueOf(e.getValue()));
                if (!f.entries().containsKey(name)) {
                    throw new WeightFileException(f.description(), name, "is listed in the index but not in this shard");
                }
                checkpoint.owner.put(name, f);
            }
        } catch (IOException | RuntimeException ex) {
            opened.forEach(SafetensorsFile::close);
            throw ex;
        }
        return checkpoint;
    }

    public List<SafetensorsFile> files() {
        return files;
    }

    /** The file that holds a tensor (for inspection tools). */
    public Optional<SafetensorsFile> fileOf(String name) {
        return Optional.ofNullable(owner.get(name));
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public List<String> names() {
        return List.copyOf(owner.keySet());
    }

    @Override
    public Optional<Tensor> find(String name) {
        SafetensorsFile f = owner.get(name);
        return f == null ? Optional.empty() : f.find(name);
    }

    @Override
    public void close() {
        files.forEach(SafetensorsFile::close);
    }
}
