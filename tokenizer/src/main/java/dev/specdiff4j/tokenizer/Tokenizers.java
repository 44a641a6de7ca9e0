package dev.specdiff4j.tokenizer;

import dev.specdiff4j.json.Json;
import dev.specdiff4j.json.JsonException;
import dev.specdiff4j.json.JsonFields;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Loads tokenizers from the files users have: HF {@code tokenizer.json}, the original GPT-2 pair
 * ({@code vocab.json}/{@code encoder.json} + {@code merges.txt}/{@code vocab.bpe}), tiktoken rank files
 * ({@code *.tiktoken}, and Llama 3's {@code tokenizer.model}, which is one), and the
 * {@code tokenizer.ggml.*} metadata of a GGUF file (handed over by the engine's GGUF reader).
 */
public final class Tokenizers {
    /** The {@code tokenizer.ggml.pre} names of Llama 3's pre-tokenizer. */
    private static final java.util.Set<String> LLAMA3_PRE = java.util.Set.of("llama3", "llama-bpe", "llama-v3");

    private Tokenizers() {
    }

    /** A {@code tokenizer.json}, a {@code .tiktoken} file, or a folder holding one of the supported formats. */
    public static BpeTokenizer load(Path path) throws IOException {
        if (Files.isDirectory(path)) return loadFolder(path);
        if (!Files.exists(path)) throw new TokenizerException(path.toString(), "no such file or folder");
        String name = path.getFileName().toString();
        if (name.endsWith(".json") && !name.equals("vocab.json") && !name.equals("encoder.json")) {
            return fromHfJson(path);
        }
        if (name.endsWith(".tiktoken") || name.equals("tokenizer.model")) return fromTiktoken(path, null);
        if (name.equals("vocab.json") || name.equals("encoder.json")) {
            Path folder = path.toAbsolutePath().getParent();
            Path merges = firstExisting(folder, "merges.txt", "vocab.bpe");
            if (merges == null) throw new TokenizerException(path.toString(), "no merges.txt or vocab.bpe beside it");
            return fromVocabAndMerges(path, merges);
        }
        throw new TokenizerException(path.toString(), "not a known tokenizer format (expected tokenizer.json, "
                + "vocab.json + merges.txt, encoder.json + vocab.bpe, or a .tiktoken file)");
    }

    private static BpeTokenizer loadFolder(Path folder) throws IOException {
        Path hf = folder.resolve("tokenizer.json");
        if (Files.isRegularFile(hf)) return fromHfJson(hf);
        Path vocab = firstExisting(folder, "vocab.json", "encoder.json");
        Path merges = firstExisting(folder, "merges.txt", "vocab.bpe");
        if (vocab != null && merges != null) return fromVocabAndMerges(vocab, merges);
        try (Stream<Path> files = Files.list(folder)) {
            List<Path> tiktoken = files.filter(p -> p.getFileName().toString().endsWith(".tiktoken")).sorted().toList();
            if (tiktoken.size() == 1) return fromTiktoken(tiktoken.get(0), null);
            if (tiktoken.size() > 1) {
                throw new TokenizerException(folder.toString(), "holds several .tiktoken files; name the one to use");
            }
        }
        Path model = folder.resolve("tokenizer.model");
        if (Files.isRegularFile(model) && looksLikeTiktoken(model)) return fromTiktoken(model, null);
        throw new TokenizerException(folder.toString(), "holds no tokenizer.json, vocab.json + merges.txt, "
                + "encoder.json + vocab.bpe or .tiktoken file");
    }

    private static Path firstExisting(Path folder, String... names) {
        for (String n : names) {
            Path p = folder.resolve(n);
            if (Files.isRegularFile(p)) return p;
        }
        return null;
    }

    private static boolean looksLikeTiktoken(Path file) throws IOException {
        try (var lines = Files.lines(file, StandardCharsets.ISO_8859_1)) {
            return lines.findFirst().map(l -> l.matches("[A-Za-z0-9+/=]+ \\d+")).orElse(false);
        }
    }

    /**
     * As {@link #load}, and a {@code tokenizer.json} whose BPE model has {@code byte_fallback} (Llama 2,
     * Mistral, TinyLlama) as a {@link SentencePieceBpeTokenizer}.
     */
    public static Tokenizer loadAny(Path path) throws IOException {
        Path hf = Files.isDirectory(path) ? path.resolve("tokenizer.json") : path;
        String name = hf.getFileName() == null ? "" : hf.getFileName().toString();
        if (!Files.isRegularFile(hf) || !name.endsWith(".json") || name.equals("vocab.json") || name.equals("encoder.json")) {
            return load(path);
        }
        Map<String, Object> root = parseJsonFile(hf);
        Map<String, Object> config = tokenizerConfigBeside(hf);
        try {
            Object model = root.get("model");
            if (model instanceof Map<?, ?> mm && Boolean.TRUE.equals(mm.get("byte_fallback"))) {
                return HfSentencePiece.fromHfJson(hf.toString(), root, config);
            }
            return fromHfJson(hf.toString(), root, config);
        } catch (JsonException e) {
            throw new TokenizerException(e.getMessage());
        }
    }

    /** The tokenizer_config.json in the folder of an HF tokenizer.json, or an empty map when there is none. */
    private static Map<String, Object> tokenizerConfigBeside(Path tokenizerJson) throws IOException {
        Path folder = tokenizerJson.toAbsolutePath().getParent();
        Path config = folder == null ? null : folder.resolve("tokenizer_config.json");
        return config != null && Files.isRegularFile(config) ? parseJsonFile(config) : Map.of();
    }

    private static Map<String, Object> parseJsonFile(Path file) throws IOException {
        try {
            return Json.parseObject(Files.readString(file, StandardCharsets.UTF_8));
        } catch (JsonException e) {
            throw new TokenizerException(file.toString(), "is not valid JSON: " + e.getMessage(), e);
        } catch (java.nio.charset.MalformedInputException e) {
            throw new TokenizerException(file.toString(), "is not valid UTF-8 text", e);
        }
    }

    // ------------------------------------------------------------------ HF tokenizer.json

    public static BpeTokenizer fromHfJson(Path file) throws IOException {
        String source = file.toString();
        Map<String, Object> root;
        try {
            root = Json.parseObject(Files.readString(file, StandardCharsets.UTF_8));
        } catch (JsonException e) {
            throw new TokenizerException(source, "is not valid JSON: " + e.getMessage(), e);
        } catch (java.nio.charset.MalformedInputException e) {
            throw new TokenizerException(source, "is not valid UTF-8 text", e);
        }
        Map<String, Object> config = tokenizerConfigBeside(file);
        try {
            return fromHfJson(source, root, config);
        } catch (JsonException e) {
            throw new TokenizerException(e.getMessage());
        }
    }

    /**
     * @param tokenizerConfig the tokenizer_config.json beside it (empty if none), for {@code add_bos_token} /
     *                        {@code add_eos_token} (see {@link HfSequenceMarks})
     */
    static BpeTokenizer fromHfJson(String source, Map<String, Object> root, Map<String, Object> tokenizerConfig) {
        JsonFields r = new JsonFields(source, root);
        JsonFields model = r.object("model");
        String type = model.stringOr("type", "BPE");
        if (!type.equals("BPE")) {
            throw new TokenizerException(source, "model type '" + type + "' is not supported (specdiff4j supports byte-level BPE)");
        }
        if (model.boolOr("byte_fallback", false)) {
            throw new TokenizerException(source, "is SentencePiece-style BPE (byte_fallback), not byte-level BPE; load it with Tokenizers.loadAny");
        }
        String prefix = model.stringOr("continuing_subword_prefix", "");
        String suffix = model.stringOr("end_of_word_suffix", "");
        if (!prefix.isEmpty() || !suffix.isEmpty()) {
            throw new TokenizerException(source, "continuing_subword_prefix / end_of_word_suffix are not supported by byte-level BPE");
        }
        boolean ignoreMerges = model.boolOr("ignore_merges", false);

        Map<String, Object> vocabJson = model.object("vocab").map();
        Map<String, Integer> specials = new LinkedHashMap<>();
        for (Object o : r.arrayOr("added_tokens")) {
            if (!(o instanceof Map<?, ?> m)) throw new TokenizerException(source, "added_tokens holds a non-object");
            @SuppressWarnings("unchecked")
            JsonFields t = new JsonFields(source + " added_tokens", (Map<String, Object>) m);
            specials.put(t.string("content"), t.integer("id"));
        }
        byte[][] tokens = tokensFromVocab(source, vocabJson, specials);
        int[][] merges = parseMerges(source, model.array("merges"), vocabJson);

        PreTokenizer pre = preTokenizerOf(source, r.raw("pre_tokenizer"));
        boolean nfc = normalizerOf(source, r.raw("normalizer"));
        SequenceMarks marks = HfSequenceMarks.read(source, root, tokenizerConfig,
                name -> specials.containsKey(name) ? specials.get(name)
                        : vocabJson.get(name) instanceof Number id ? Integer.valueOf(id.intValue()) : null);
        return new BpeTokenizer(new BpeTokenizer.Spec(source, tokens, merges, specials, pre, ignoreMerges, nfc, marks));
    }

    private static byte[][] tokensFromVocab(String source, Map<String, Object> vocab, Map<String, Integer> specials) {
        int maxId = -1;
        for (Map.Entry<String, Object> e : vocab.entrySet()) {
            int id = idValue(source, e.getKey(), e.getValue());
            maxId = Math.max(maxId, id);
        }
        for (int id : specials.values()) maxId = Math.max(maxId, id);
        if (maxId >= 10_000_000) throw new TokenizerException(source, "token id " + maxId + " is implausibly large");
        byte[][] tokens = new byte[maxId + 1][];
        for (Map.Entry<String, Object> e : vocab.entrySet()) {
            int id = ((Number) e.getValue()).intValue();
            if (tokens[id] != null) throw new TokenizerException(source, "id " + id + " is used by two tokens");
            byte[] bytes = ByteLevel.decodeOrNull(e.getKey());
            if (bytes == null) {
                if (!specials.containsKey(e.getKey())) {
                    throw new TokenizerException(source, "token '" + e.getKey() + "' (id " + id
                            + ") is not spelled in GPT-2's byte-level alphabet");
                }
                bytes = e.getKey().getBytes(StandardCharsets.UTF_8);
            }
            tokens[id] = bytes;
        }
        for (Map.Entry<String, Integer> e : specials.entrySet()) {
            if (tokens[e.getValue()] == null) tokens[e.getValue()] = e.getKey().getBytes(StandardCharsets.UTF_8);
        }
        return tokens;
    }

    private static int idValue(String source, String token, Object value) {
        if (!(value instanceof Long l) || l < 0 || l > Integer.MAX_VALUE) {
            throw new TokenizerException(source, "token '" + token + "' has id " + value + ", not a non-negative integer");
        }
        return (int) (long) l;
    }

    private static int[][] parseMerges(String source, List<Object> mergeJson, Map<String, Object> vocab) {
        int[][] merges = new int[mergeJson.size()][];
        for (int i = 0; i < merges.length; i++) {
            Object m = mergeJson.get(i);
            String left;
            String right;
            if (m instanceof String s) {
                int space = s.indexOf(' ');
                if (space <= 0 || space != s.lastIndexOf(' ') || space == s.length() - 1) {
                    throw new TokenizerException(source, "merge #" + i + " '" + s + "' is not two tokens separated by one space");
                }
                left = s.substring(0, space);
                right = s.substring(space + 1);
            } else if (m instanceof List<?> pair && pair.size() == 2 && pair.get(0) instanceof String a
                    && pair.get(1) instanceof String b) {
                left = a;
                right = b;
            } else {
                throw new TokenizerException(source, "merge #" + i + " is neither \"a b\" nor [\"a\", \"b\"]");
            }
            merges[i] = new int[] {mergeId(source, vocab, left, i), mergeId(source, vocab, right, i)};
        }
        return merges;
    }

    private static int mergeId(String source, Map<String, Object> vocab, String token, int rank) {
        Object id = vocab.get(token);
        if (id == null) throw new TokenizerException(source, "merge #" + rank + " uses '" + token + "', which is not in the vocabulary");
        return ((Number) id).intValue();
    }

    private static PreTokenizer preTokenizerOf(String source, Object json) {
        if (json == null) throw new TokenizerException(source, "has no pre_tokenizer (byte-level BPE needs one)");
        @SuppressWarnings("unchecked")
        JsonFields p = new JsonFields(source + " pre_tokenizer", (Map<String, Object>) json);
        String type = p.string("type");
        if (type.equals("ByteLevel")) {
            requireNoPrefixSpace(source, p);
            if (!p.boolOr("use_regex", true)) {
                throw new TokenizerException(source, "a ByteLevel pre-tokenizer without a split pattern is not supported");
            }
            return PreTokenizer.GPT2;
        }
        if (type.equals("Sequence")) {
            List<Object> steps = p.array("pretokenizers");
            PreTokenizer split = null;
            boolean byteLevel = false;
            for (Object stepJson : steps) {
                @SuppressWarnings("unchecked")
                JsonFields step = new JsonFields(source + " pre_tokenizer", (Map<String, Object>) stepJson);
                String stepType = step.string("type");
                if (stepType.equals("Split") && split == null && !byteLevel) {
                    String behavior = step.stringOr("behavior", "Isolated");
                    if (!behavior.equals("Isolated") || step.boolOr("invert", false)) {
                        throw new TokenizerException(source, "Split pre-tokenizer with behaviour " + behavior + " is not supported");
                    }
                    split = PreTokenizer.ofRegex(step.object("pattern").string("Regex"));
                } else if (stepType.equals("ByteLevel") && !byteLevel) {
                    requireNoPrefixSpace(source, step);
                    byteLevel = true;
                    if (step.boolOr("use_regex", true)) {
                        if (split != null) throw new TokenizerException(source, "two split patterns in a row are not supported");
                        split = PreTokenizer.GPT2;
                    }
                } else {
                    throw new TokenizerException(source, "pre-tokenizer step '" + stepType + "' is not supported here");
                }
            }
            if (!byteLevel || split == null) {
                throw new TokenizerException(source, "the pre-tokenizer sequence is not a split pattern followed by ByteLevel");
            }
            return split;
        }
        throw new TokenizerException(source, "pre-tokenizer '" + type + "' is not supported (byte-level BPE only)");
    }

    private static void requireNoPrefixSpace(String source, JsonFields byteLevel) {
        if (byteLevel.boolOr("add_prefix_space", false)) {
            throw new TokenizerException(source, "ByteLevel with add_prefix_space=true is not supported");
        }
    }

    private static boolean normalizerOf(String source, Object json) {
        if (json == null) return false;
        @SuppressWarnings("unchecked")
        JsonFields n = new JsonFields(source + " normalizer", (Map<String, Object>) json);
        String type = n.string("type");
        if (type.equals("NFC")) return true;
        if (type.equals("Sequence") && n.array("normalizers").isEmpty()) return false;
        throw new TokenizerException(source, "normalizer '" + type + "' is not supported (only NFC or none)");
    }

    // ------------------------------------------------------------------ GPT-2 vocab.json + merges.txt

    public static BpeTokenizer fromVocabAndMerges(Path vocabFile, Path mergesFile) throws IOException {
        String source = vocabFile + " + " + mergesFile.getFileName();
        Map<String, Object> vocab;
        try {
            vocab = Json.parseObject(Files.readString(vocabFile, StandardCharsets.UTF_8));
        } catch (JsonException e) {
            throw new TokenizerException(vocabFile.toString(), "is not valid JSON: " + e.getMessage(), e);
        }
        List<Object> mergeLines = new ArrayList<>();
        List<String> lines = Files.readAllLines(mergesFile, StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if ((i == 0 && line.startsWith("#version")) || line.isBlank()) continue;
            mergeLines.add(line);
        }
        if (mergeLines.isEmpty()) throw new TokenizerException(mergesFile.toString(), "holds no merges");
        Map<String, Integer> specials = new LinkedHashMap<>();
        if (vocab.get("<|endoftext|>") instanceof Long id) specials.put("<|endoftext|>", (int) (long) id);
        byte[][] tokens = tokensFromVocab(vocabFile.toString(), vocab, specials);
        int[][] merges = parseMerges(mergesFile.toString(), mergeLines, vocab);
        return new BpeTokenizer(new BpeTokenizer.Spec(source, tokens, merges, specials, PreTokenizer.GPT2, false, false));
    }

    // ------------------------------------------------------------------ tiktoken

    /**
     * A tiktoken rank file: one line per token, base64 of its bytes and its rank (= id). The file holds
     * neither the split pattern nor the special tokens; when {@code pre} is null they are inferred from
     * the vocabulary size (r50k / p50k: GPT-2; cl100k, Llama 3 and others: the Llama 3 pattern), and the
     * special tokens of the known vocabularies are added.
     */
    public static BpeTokenizer fromTiktoken(Path file, PreTokenizer pre) throws IOException {
        String source = file.toString();
        List<String> lines = Files.readAllLines(file, StandardCharsets.ISO_8859_1);
        Map<Integer, byte[]> ranks = new LinkedHashMap<>();
        int maxRank = -1;
        Base64.Decoder base64 = Base64.getDecoder();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank()) continue;
            int space = line.indexOf(' ');
            if (space <= 0) throw new TokenizerException(source, "line " + (i + 1) + " is not 'base64 rank'");
            byte[] bytes;
            int rank;
            try {
                bytes = base64.decode(line.substring(0, space));
                rank = Integer.parseInt(line.substring(space + 1).trim());
            } catch (IllegalArgumentException e) {
                throw new TokenizerException(source, "line " + (i + 1) + " is not 'base64 rank': " + e.getMessage());
            }
            if (rank < 0 || rank >= 10_000_000) throw new TokenizerException(source, "line " + (i + 1) + " has rank " + rank + " out of range");
            if (ranks.put(rank, bytes) != null) throw new TokenizerException(source, "rank " + rank + " appears twice");
            maxRank = Math.max(maxRank, rank);
        }
        if (ranks.isEmpty()) throw new TokenizerException(source, "holds no tokens");
        Map<String, Integer> specials = knownTiktokenSpecials(ranks.size());
        int size = maxRank + 1;
        for (int id : specials.values()) size = Math.max(size, id + 1);
        byte[][] tokens = new byte[size][];
        ranks.forEach((rank, bytes) -> tokens[rank] = bytes);
        PreTokenizer pattern = pre != null ? pre : (ranks.size() <= 50_280 ? PreTokenizer.GPT2 : PreTokenizer.LLAMA3);
        return new BpeTokenizer(new BpeTokenizer.Spec(source, tokens, null, specials, pattern, true, false));
    }

    private static Map<String, Integer> knownTiktokenSpecials(int ranks) {
        Map<String, Integer> specials = new LinkedHashMap<>();
        switch (ranks) {
            case 50_256, 50_280 -> specials.put("<|endoftext|>", 50_256); // r50k, p50k
            case 100_256 -> { // cl100k
                specials.put("<|endoftext|>", 100_257);
                specials.put("<|fim_prefix|>", 100_258);
                specials.put("<|fim_middle|>", 100_259);
                specials.put("<|fim_suffix|>", 100_260);
                specials.put("<|endofprompt|>", 100_276);
            }
            case 128_000 -> { // Llama 3
                String[] named = {"<|begin_of_text|>", "<|end_of_text|>", null, null, null, null,
                    "<|start_header_id|>", "<|end_header_id|>", null, "<|eot_id|>"};
                int reserved = 0;
                for (int i = 0; i < 256; i++) {
                    String name = i < named.length && named[i] != null ? named[i] : "<|reserved_special_token_" + reserved++ + "|>";
                    specials.put(name, 128_000 + i);
                }
            }
            default -> {
            }
        }
        return specials;
    }

    // ------------------------------------------------------------------ GGUF metadata

    /**
     * The tokenizer in a GGUF file's metadata (as the engine's GGUF reader returns it: integers as Long,
     * floats as Double, arrays as Lists): {@code tokenizer.ggml.model} "gpt2" is byte-level BPE (see
     * {@link #fromGguf}), "llama" is SentencePiece BPE with byte fallback, merged by
     * {@code tokenizer.ggml.scores}, with {@code add_space_prefix}, {@code add_bos_token} and
     * {@code add_eos_token} as the file says (llama.cpp's defaults: true, true, false).
     */
    public static Tokenizer fromGgufMetadata(String source, Map<String, Object> m) {
        if (!m.containsKey("tokenizer.ggml.tokens")) throw new TokenizerException(source, "holds no tokenizer (tokenizer.ggml.tokens)");
        List<String> tokens = ggufStrings(source, m, "tokenizer.ggml.tokens");
        int[] types = m.containsKey("tokenizer.ggml.token_type") ? ggufInts(source, m, "tokenizer.ggml.token_type") : null;
        Object model = m.get("tokenizer.ggml.model");
        if ("llama".equals(model)) {
            if (types == null) throw new TokenizerException(source, "has no tokenizer.ggml.token_type, which a SentencePiece vocabulary needs");
            if (!(m.get("tokenizer.ggml.scores") instanceof List<?> scoreList)) {
                throw new TokenizerException(source, "has no tokenizer.ggml.scores, which a SentencePiece vocabulary needs");
            }
            float[] scores = new float[scoreList.size()];
            for (int i = 0; i < scores.length; i++) {
                if (!(scoreList.get(i) instanceof Number x)) throw new TokenizerException(source, "tokenizer.ggml.scores holds a non-number");
                scores[i] = x.floatValue();
            }
            int bos = ggufId(source, m, "tokenizer.ggml.bos_token_id", 1);
            int eos = ggufId(source, m, "tokenizer.ggml.eos_token_id", 2);
            int unk = ggufId(source, m, "tokenizer.ggml.unknown_token_id", 0);
            boolean addBos = ggufBool(source, m, "tokenizer.ggml.add_bos_token", true);
            boolean addEos = ggufBool(source, m, "tokenizer.ggml.add_eos_token", false);
            return new SentencePieceBpeTokenizer(new SentencePieceBpeTokenizer.Spec(source, tokens.toArray(String[]::new),
                    types, scores, null, ggufBool(source, m, "tokenizer.ggml.add_space_prefix", true), false,
                    bos < tokens.size() ? bos : -1, eos < tokens.size() ? eos : -1, unk < tokens.size() ? unk : -1,
                    addBos && bos < tokens.size(), addEos && eos < tokens.size()));
        }
        if (!(model instanceof String name)) throw new TokenizerException(source, "has no tokenizer.ggml.model");
        if (!name.equals("gpt2")) {
            throw new TokenizerException(source, "tokenizer.ggml.model '" + name
                    + "' is not supported (gpt2 byte-level BPE or llama SentencePiece BPE)");
        }
        List<String> merges = m.containsKey("tokenizer.ggml.merges") ? ggufStrings(source, m, "tokenizer.ggml.merges") : null;
        String pre = m.get("tokenizer.ggml.pre") instanceof String s ? s : null;
        return fromGguf(source, name, tokens, merges, types, pre, byteLevelGgufMarks(source, m, pre, tokens.size()));
    }

    /**
     * BOS / EOS for a "gpt2" GGUF vocabulary as llama.cpp decides them ({@code llama_vocab::load}):
     * {@code add_bos_token} defaults to true for the Llama 3 pre-tokenizers and false for the others (GPT-2,
     * Qwen2), {@code add_eos_token} to false, and the file's keys override the defaults. Where BOS is asked
     * for but the file names no {@code bos_token_id} (llama.cpp then falls back to id 11), none is added.
     */
    private static SequenceMarks byteLevelGgufMarks(String source, Map<String, Object> m, String pre, int vocabSize) {
        boolean llama3 = pre != null && LLAMA3_PRE.contains(pre);
        boolean addBos = ggufBool(source, m, "tokenizer.ggml.add_bos_token", llama3);
        boolean addEos = ggufBool(source, m, "tokenizer.ggml.add_eos_token", false);
        int bos = ggufId(source, m, "tokenizer.ggml.bos_token_id", -1);
        int eos = ggufId(source, m, "tokenizer.ggml.eos_token_id", -1);
        for (int id : new int[] {bos, eos}) {
            if (id >= vocabSize) throw new TokenizerException(source, "names token " + id + " as BOS/EOS, outside the vocabulary of " + vocabSize);
        }
        return new SequenceMarks(addBos ? bos : -1, addEos ? eos : -1);
    }

    private static List<String> ggufStrings(String source, Map<String, Object> m, String key) {
        if (!(m.get(key) instanceof List<?> list)) throw new TokenizerException(source, "metadata '" + key + "' is not an array");
        List<String> out = new ArrayList<>(list.size());
        for (Object o : list) {
            if (!(o instanceof String s)) throw new TokenizerException(source, "metadata '" + key + "' holds a non-string");
            out.add(s);
        }
        return out;
    }

    private static int[] ggufInts(String source, Map<String, Object> m, String key) {
        if (!(m.get(key) instanceof List<?> list)) throw new TokenizerException(source, "metadata '" + key + "' is not an array");
        int[] out = new int[list.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(list.get(i) instanceof Number x)) throw new TokenizerException(source, "metadata '" + key + "' holds a non-integer");
            out[i] = x.intValue();
        }
        return out;
    }

    private static int ggufId(String source, Map<String, Object> m, String key, int fallback) {
        Object v = m.get(key);
        if (v == null) return fallback;
        if (!(v instanceof Number x) || x.longValue() < 0 || x.longValue() > Integer.MAX_VALUE) {
            throw new TokenizerException(source, "metadata '" + key + "' is " + v + ", not a token id");
        }
        return x.intValue();
    }

    private static boolean ggufBool(String source, Map<String, Object> m, String key, boolean fallback) {
        Object v = m.get(key);
        if (v == null) return fallback;
        if (!(v instanceof Boolean b)) throw new TokenizerException(source, "metadata '" + key + "' is " + v + ", not true or false");
        return b;
    }

    /**
     * A tokenizer from GGUF metadata: {@code tokenizer.ggml.model} must be "gpt2" (byte-level BPE);
     * {@code tokens} and {@code merges} are {@code tokenizer.ggml.tokens} / {@code .merges};
     * {@code tokenTypes} (may be null) marks control tokens (type 3) and user-defined ones (4) as special;
     * {@code pre} is {@code tokenizer.ggml.pre} (null or "default" means GPT-2).
     */
    public static BpeTokenizer fromGguf(String source, String model, List<String> tokens, List<String> merges,
                                        int[] tokenTypes, String pre) {
        return fromGguf(source, model, tokens, merges, tokenTypes, pre, SequenceMarks.NONE);
    }

    /** As {@link #fromGguf(String, String, List, List, int[], String)}, adding {@code marks} for a model. */
    public static BpeTokenizer fromGguf(String source, String model, List<String> tokens, List<String> merges,
                                        int[] tokenTypes, String pre, SequenceMarks marks) {
        if (!"gpt2".equals(model)) {
            throw new TokenizerException(source, "tokenizer.ggml.model '" + model + "' is not supported (only gpt2 byte-level BPE)");
        }
        if (merges == null) throw new TokenizerException(source, "has no tokenizer.ggml.merges");
        if (tokenTypes != null && tokenTypes.length != tokens.size()) {
            throw new TokenizerException(source, "tokenizer.ggml.token_type has " + tokenTypes.length
                    + " entries for " + tokens.size() + " tokens");
        }
        Map<String, Object> vocab = new LinkedHashMap<>();
        Map<String, Integer> specials = new LinkedHashMap<>();
        for (int id = 0; id < tokens.size(); id++) {
            String token = tokens.get(id);
            if (vocab.putIfAbsent(token, (long) id) != null) {
                throw new TokenizerException(source, "token '" + token + "' appears twice in tokenizer.ggml.tokens");
            }
            if (tokenTypes != null && (tokenTypes[id] == 3 || tokenTypes[id] == 4)) specials.put(token, id);
        }
        if (tokenTypes == null && vocab.get("<|endoftext|>") instanceof Long id) specials.put("<|endoftext|>", (int) (long) id);
        byte[][] bytes = tokensFromVocab(source, vocab, specials);
        int[][] mergeIds = parseMerges(source, new ArrayList<>(merges), vocab);
        PreTokenizer pattern = switch (pre == null ? "default" : pre) {
            case "default", "gpt-2", "gpt2" -> PreTokenizer.GPT2;
            case String p when LLAMA3_PRE.contains(p) -> PreTokenizer.LLAMA3;
            case "qwen2" -> PreTokenizer.QWEN2;
            default -> throw new TokenizerException(source, "tokenizer.ggml.pre '" + pre + "' is not supported (gpt-2, llama-bpe or qwen2)");
        };
        return new BpeTokenizer(new BpeTokenizer.Spec(source, bytes, mergeIds, specials, pattern,
                pattern != PreTokenizer.GPT2, pattern == PreTokenizer.QWEN2, marks));
    }
}
