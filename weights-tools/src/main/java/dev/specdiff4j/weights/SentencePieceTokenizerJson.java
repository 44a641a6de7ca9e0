package dev.specdiff4j.weights;

import dev.specdiff4j.json.Json;
import dev.specdiff4j.tokenizer.HfTokenizerWriter;
import dev.specdiff4j.tokenizer.SentencePieceBpeTokenizer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a SentencePiece vocabulary (pieces, scores, token types; as llama.cpp's {@code "llama"} GGUF tokenizers carry it) as
 * the HF files Llama 2 / TinyLlama ship: {@code tokenizer.json} (BPE with {@code byte_fallback}, the {@code Prepend("▁")} +
 * {@code Replace(" ", "▁")} normalizer, BOS by {@code TemplateProcessing}, control and unknown pieces as special added tokens)
 * and {@code tokenizer_config.json}. The merges are made as HF's SentencePiece converter makes them: every split of a piece
 * into two pieces is a merge, ordered by the merged piece's score (highest first), the splits of one piece by their ids.
 * Used to build HF test folders from llama.cpp's vocabulary test files.
 */
public final class SentencePieceTokenizerJson {
    private SentencePieceTokenizerJson() {
    }

    /**
     * @param bos the BOS piece id (added in front by the post-processor), {@code eos} and {@code unk} the EOS and unknown ids
     */
    public static void write(Path folder, String[] pieces, float[] scores, int[] types, int bos, int eos, int unk) throws IOException {
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (int id = 0; id < pieces.length; id++) vocab.putIfAbsent(pieces[id], id);
        List<Integer> byScore = new ArrayList<>(vocab.values());
        byScore.sort(Comparator.comparingDouble((Integer id) -> -scores[id]).thenComparingInt(id -> id));
        List<List<String>> merges = new ArrayList<>();
        for (int id : byScore) {
            String piece = pieces[id];
            List<int[]> splits = new ArrayList<>();
            for (int i = piece.offsetByCodePoints(0, 1); i < piece.length(); i = piece.offsetByCodePoints(i, 1)) {
                Integer left = vocab.get(piece.substring(0, i));
                Integer right = vocab.get(piece.substring(i));
                if (left != null && right != null) splits.add(new int[] {left, right});
            }
            splits.sort(Comparator.<int[]>comparingInt(s -> s[0]).thenComparingInt(s -> s[1]));
            for (int[] s : splits) merges.add(List.of(pieces[s[0]], pieces[s[1]]));
        }
        List<Object> added = new ArrayList<>();
        for (int id = 0; id < pieces.length; id++) {
            int type = types[id];
            if (type != SentencePieceBpeTokenizer.CONTROL && type != SentencePieceBpeTokenizer.UNKNOWN) continue;
            added.add(HfTokenizerWriter.addedToken(id, pieces[id]));
        }
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("version", "1.0");
        root.put("added_tokens", added);
        root.put("normalizer", Map.of("type", "Sequence", "normalizers", List.of(
                Map.of("type", "Prepend", "prepend", "\u2581"),
                Map.of("type", "Replace", "pattern", Map.of("String", " "), "content", "\u2581"))));
        Map<String, Object> bosToken = Map.of("SpecialToken", Map.of("id", pieces[bos], "type_id", 0));
        root.put("post_processor", Map.of("type", "TemplateProcessing",
                "single", List.of(bosToken, Map.of("Sequence", Map.of("id", "A", "type_id", 0))),
                "pair", List.of(bosToken, Map.of("Sequence", Map.of("id", "A", "type_id", 0)), bosToken,
                        Map.of("Sequence", Map.of("id", "B", "type_id", 1))),
                "special_tokens", Map.of(pieces[bos], Map.of("id", pieces[bos], "ids", List.of(bos), "tokens", List.of(pieces[bos])))));
        root.put("decoder", Map.of("type", "Sequence", "decoders", List.of(
                Map.of("type", "Replace", "pattern", Map.of("String", "\u2581"), "content", " "),
                Map.of("type", "ByteFallback"), Map.of("type", "Fuse"),
                Map.of("type", "Strip", "content", " ", "start", 1, "stop", 0))));
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("type", "BPE");
        model.put("unk_token", pieces[unk]);
        model.put("fuse_unk", true);
        model.put("byte_fallback", true);
        model.put("vocab", vocab);
        model.put("merges", merges);
        root.put("model", model);
        Files.writeString(folder.resolve("tokenizer.json"), Json.write(root), StandardCharsets.UTF_8);

        Map<String, Object> config = new LinkedHashMap<>();
        config.put("add_bos_token", true);
        config.put("add_eos_token", false);
        config.put("bos_token", pieces[bos]);
        config.put("eos_token", pieces[eos]);
        config.put("unk_token", pieces[unk]);
        config.put("tokenizer_class", "LlamaTokenizer");
        Files.writeString(folder.resolve("tokenizer_config.json"), Json.writePretty(config) + "\n", StandardCharsets.UTF_8);
    }

    /** The pieces, scores and token types of a GGUF {@code "llama"} tokenizer's metadata (as {@code GgufFile} reads it). */
    public static void write(Path folder, Map<String, Object> ggufMetadata) throws IOException {
        List<?> tokens = (List<?>) ggufMetadata.get("tokenizer.ggml.tokens");
        List<?> scores = (List<?>) ggufMetadata.get("tokenizer.ggml.scores");
        List<?> types = (List<?>) ggufMetadata.get("tokenizer.ggml.token_type");
        String[] p = new String[tokens.size()];
        float[] s = new float[p.length];
        int[] t = new int[p.length];
        for (int i = 0; i < p.length; i++) {
            p[i] = (String) tokens.get(i);
            s[i] = ((Number) scores.get(i)).floatValue();
            t[i] = ((Number) types.get(i)).intValue();
        }
        Map<String, Integer> ids = new HashMap<>();
        for (String key : List.of("bos", "eos", "unknown")) {
            ids.put(key, ((Number) ggufMetadata.get("tokenizer.ggml." + key + "_token_id")).intValue());
        }
        write(folder, p, s, t, ids.get("bos"), ids.get("eos"), ids.get("unknown"));
    }
}
