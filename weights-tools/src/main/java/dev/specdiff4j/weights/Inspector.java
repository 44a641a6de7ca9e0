package dev.specdiff4j.weights;

import dev.specdiff4j.engine.io.GgufFile;
import dev.specdiff4j.engine.io.SafetensorsCheckpoint;
import dev.specdiff4j.engine.io.SafetensorsFile;
import dev.specdiff4j.engine.model.Gpt2;
import dev.specdiff4j.engine.model.transformer.TransformerLoader;
import dev.specdiff4j.engine.model.BlockDiffusionDrafter;
import dev.specdiff4j.engine.model.MaskedDiffusionLm;
import dev.specdiff4j.engine.model.ModelFiles;
import dev.specdiff4j.tokenizer.BpeTokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What is inside a weight file or model folder: architecture, configuration, every tensor (dtype, shape,
 * bytes), parameter count, total size, GGUF metadata (big arrays summarised), the tokenizer, and whether
 * specdiff4j can run it (and if not, why).
 */
public final class Inspector {
    private Inspector() {
    }

    /** The report as ordered maps and lists, ready for JSON. */
    public static Map<String, Object> inspect(Path path) throws IOException {
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("path", path.toString());
        if (Files.isRegularFile(path) && path.getFileName().toString().endsWith(".safetensors")
                && !Files.isRegularFile(path.toAbsolutePath().getParent().resolve("config.json"))) {
            report.put("format", "safetensors");
            try (SafetensorsCheckpoint c = SafetensorsCheckpoint.open(path)) {
                report.put("architecture", "unknown (no config.json beside the file)");
                addSafetensors(report, c);
                report.put("runnable", false);
                report.put("runnable_reason", "a bare .safetensors file has no config; give the model folder");
            }
            return report;
        }
        try (ModelFiles files = ModelFiles.open(path)) {
            report.put("format", files.gguf() != null ? "gguf v" + files.gguf().version() : "hf safetensors folder");
            report.put("architecture", files.architecture().name().toLowerCase());
            if (files.config() != null) report.put("config", files.config().map());
            if (files.gguf() != null) addGguf(report, files.gguf());
            else addSafetensors(report, (SafetensorsCheckpoint) files.tensors());
            addTokenizer(report, files);
            try {
                switch (files.architecture()) {
                    case GPT2 -> report.put("model", Gpt2.validate(files).toString());
                    case MDLM -> report.put("model", MaskedDiffusionLm.validate(files).toString());
                    case LLAMA, MISTRAL, QWEN2, QWEN3, PHI3 -> report.put("model", TransformerLoader.validate(files).toString());
                    case BLOCK_DRAFTER -> report.put("model", BlockDiffusionDrafter.validate(files).toString());
                    case UNKNOWN -> throw new IllegalArgumentException(files.unsupportedReason());
                }
                report.put("runnable", true);
            } catch (RuntimeException e) {
                report.put("runnable", false);
                report.put("runnable_reason", e.getMessage());
            }
        }
        return report;
    }

    private static void addSafetensors(Map<String, Object> report, SafetensorsCheckpoint c) {
        List<Object> tensors = new ArrayList<>();
        long params = 0;
        long bytes = 0;
        for (String name : c.names()) {
            SafetensorsFile f = c.fileOf(name).orElseThrow();
            SafetensorsFile.Entry e = f.entries().get(name);
            long count = 1;
            for (long d : e.shape()) count *= d;
            params += count;
            bytes += e.end() - e.begin();
            tensors.add(tensorRow(name, e.dtypeName(), e.shape(), e.end() - e.begin(), c.files().size() > 1 ? f.path().getFileName().toString() : null));
        }
        report.put("files", c.files().stream().map(f -> f.path().getFileName().toString()).toList());
        report.put("parameters", params);
        report.put("tensor_bytes", bytes);
        report.put("tensors", tensors);
    }

    private static void addGguf(Map<String, Object> report, GgufFile g) {
        Map<String, Object> meta = new LinkedHashMap<>();
        g.metadata().forEach((k, v) -> meta.put(k, summarise(v)));
        report.put("metadata", meta);
        List<Object> tensors = new ArrayList<>();
        long params = 0;
        long bytes = 0;
        for (GgufFile.TensorInfo t : g.tensorInfos().values()) {
            long count = 1;
            for (long d : t.shape()) count *= d;
            params += count;
            bytes += t.bytes();
            tensors.add(tensorRow(t.name(), t.type().name(), t.shape(), t.bytes(), null));
        }
        report.put("alignment", g.alignment());
        report.put("parameters", params);
        report.put("tensor_bytes", bytes);
        report.put("tensors", tensors);
    }

    private static Object summarise(Object value) {
        if (value instanceof List<?> list && list.size() > 16) {
            String kind = list.isEmpty() ? "" : list.get(0) instanceof String ? " strings" : " values";
            return "[array of " + list.size() + kind + ": " + list.subList(0, 5) + " ...]";
        }
        return value;
    }

    private static Map<String, Object> tensorRow(String name, String dtype, long[] shape, long bytes, String file) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("name", name);
        row.put("dtype", dtype);
        List<Object> s = new ArrayList<>();
        for (long d : shape) s.add(d);
        row.put("shape", s);
        row.put("bytes", bytes);
        if (file != null) row.put("file", file);
        return row;
    }

    private static void addTokenizer(Map<String, Object> report, ModelFiles files) {
        try {
            BpeTokenizer t = files.tokenizer();
            Map<String, Object> tok = new LinkedHashMap<>();
            tok.put("kind", "byte-level BPE");
            tok.put("tokens", t.vocabSize());
            tok.put("merges", t.mergeList() == null ? null : t.mergeList().length);
            tok.put("pre_tokenizer", t.preTokenizer().name());
            tok.put("special_tokens", t.specialTokens().size() > 8
                    ? t.specialTokens().size() + " special tokens" : t.specialTokens());
            report.put("tokenizer", tok);
        } catch (IOException | RuntimeException e) {
            report.put("tokenizer", "none usable: " + e.getMessage());
        }
    }

    /** A human-readable rendering of a report. */
    @SuppressWarnings("unchecked")
    public static String render(Map<String, Object> report) {
        StringBuilder b = new StringBuilder();
        b.append(report.get("path")).append('\n');
        b.append("  format:       ").append(report.get("format")).append('\n');
        b.append("  architecture: ").append(report.get("architecture")).append('\n');
        if (report.containsKey("model")) b.append("  model:        ").append(report.get("model")).append('\n');
        long params = (Long) report.getOrDefault("parameters", 0L);
        long bytes = (Long) report.getOrDefault("tensor_bytes", 0L);
        b.append(String.format("  parameters:   %,d (%.2f M)%n", params, params / 1e6));
        b.append(String.format("  tensor data:  %,d bytes (%.1f MiB)%n", bytes, bytes / 1048576.0));
        boolean runnable = Boolean.TRUE.equals(report.get("runnable"));
        b.append("  runnable:     ").append(runnable ? "yes" : "no: " + report.get("runnable_reason")).append('\n');
        if (report.get("tokenizer") != null) b.append("  tokenizer:    ").append(report.get("tokenizer")).append('\n');
        if (report.get("config") instanceof Map<?, ?> config) {
            b.append("  config:\n");
            config.forEach((k, v) -> b.append("    ").append(k).append(" = ").append(v).append('\n'));
        }
        if (report.get("metadata") instanceof Map<?, ?> meta) {
            b.append("  metadata:\n");
            meta.forEach((k, v) -> b.append("    ").append(k).append(" = ").append(v).append('\n'));
        }
        List<Object> tensors = (List<Object>) report.get("tensors");
        b.append("  tensors (").append(tensors.size()).append("):\n");
        int nameWidth = 8;
        for (Object o : tensors) nameWidth = Math.max(nameWidth, String.valueOf(((Map<String, Object>) o).get("name")).length());
        for (Object o : tensors) {
            Map<String, Object> t = (Map<String, Object>) o;
            b.append(String.format("    %-" + nameWidth + "s  %-5s %-22s %,14d bytes%s%n", t.get("name"), t.get("dtype"),
                    t.get("shape"), (Long) t.get("bytes"), t.containsKey("file") ? "  " + t.get("file") : ""));
        }
        return b.toString();
    }

}
