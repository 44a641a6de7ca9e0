package dev.specdiff4j.weights;

import dev.specdiff4j.engine.api.GenerationConfig;
import dev.specdiff4j.engine.api.Generator;
import dev.specdiff4j.engine.api.Mode;
import dev.specdiff4j.engine.api.ModelSpec;
import dev.specdiff4j.engine.io.GgufFile;
import dev.specdiff4j.engine.kernels.VectorKernels;
import dev.specdiff4j.engine.model.LoadOptions;
import dev.specdiff4j.engine.model.ModelFiles;
import dev.specdiff4j.engine.model.transformer.Transformer;
import dev.specdiff4j.engine.model.transformer.TransformerLoader;
import dev.specdiff4j.json.Json;
import dev.specdiff4j.tokenizer.SentencePieceBpeTokenizer;
import dev.specdiff4j.tokenizer.Tokenizer;
import dev.specdiff4j.tokenizer.testing.ExternalFixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code convert} of an HF folder whose tokenizer is SentencePiece-style BPE (tokenizer.json with {@code byte_fallback}, as
 * Llama 2 / Mistral / TinyLlama ship it): a Mistral-shaped random model with Llama 2's vocabulary (llama.cpp's
 * {@code ggml-vocab-llama-spm.gguf}, written as the tokenizer.json HF's converter makes of it) becomes a GGUF whose
 * {@code tokenizer.ggml.*} is llama.cpp's {@code "llama"} vocabulary: the vocab file's pieces and token types, the special ids
 * and BOS/EOS flags, scores in the order of the merges; its tokenizer encodes llama.cpp's test cases as llama.cpp does and
 * any text as the tokenizer.json does; the model runs the same from both files and greedy SD equals plain decoding.
 * Needs SPECDIFF4J_LLAMA_VOCABS; skipped without it unless SPECDIFF4J_REQUIRE_FIXTURES=1. llama.cpp's side is
 * {@code LlamaConvertAgreementTest} (benchmarks).
 */
class SentencePieceConvertTest {
    static final String VOCAB_FILE = "ggml-vocab-llama-spm.gguf";
    static final List<String> TEXTS = List.of("Hello world", " Hello  world", "\tThe quick brown fox\njumps over\n\n the lazy dog.",
            "naïve café — déjà vu", "日本語のテキスト", "emoji 🦙🚀 and ⅷ", "   leading and trailing   ", "", " ", "<s> text </s> <unk>",
            "\u0000\u0001 control \u007f bytes", "x" + "y".repeat(40), "12345 + 67890 = 80235", "Ünïcödé\r\nlines");

    static Path vocabFolder() {
        return ExternalFixtures.folder("SPECDIFF4J_LLAMA_VOCABS", VOCAB_FILE);
    }

    /** A Mistral-shaped folder (model_type mistral, sliding window) of random weights with Llama 2's vocabulary as tokenizer.json. */
    static Path mistralFolder(Path folder) throws IOException {
        try (GgufFile vocabulary = GgufFile.open(vocabFolder().resolve(VOCAB_FILE))) {
            int vocab = ((List<?>) vocabulary.metadata().get("tokenizer.ggml.tokens")).size();
            RandomTransformers.of(RandomTransformers.Shape.tiny("llama", vocab), 19).writeHf(folder);
            SentencePieceTokenizerJson.write(folder, vocabulary.metadata());
        }
        editConfig(folder, Map.of("model_type", "mistral", "architectures", List.of("MistralForCausalLM"), "sliding_window", 4096,
                "bos_token_id", 1, "eos_token_id", 2));
        return folder;
    }

    static void editConfig(Path folder, Map<String, Object> entries) throws IOException {
        Map<String, Object> c = new LinkedHashMap<>(Json.parseObject(Files.readString(folder.resolve("config.json"))));
        c.putAll(entries);
        Files.writeString(folder.resolve("config.json"), Json.writePretty(c) + "\n", StandardCharsets.UTF_8);
    }

    static Path convert(Path hf, Path gguf) throws IOException {
        Converter.convert(hf, gguf, Converter.Options.of(Converter.Format.GGUF, null, false, null));
        return gguf;
    }

    @Test
    void theVocabularyIsWrittenAsLlamaCppsLlamaTokenizer(@TempDir Path dir) throws IOException {
        Path gguf = convert(mistralFolder(dir.resolve("hf")), dir.resolve("model.gguf"));
        try (GgufFile ours = GgufFile.open(gguf); GgufFile reference = GgufFile.open(vocabFolder().resolve(VOCAB_FILE))) {
            Map<String, Object> o = ours.metadata();
            Map<String, Object> r = reference.metadata();
            assertThat(o.get("general.architecture")).isEqualTo("llama");
            assertThat(o.get("tokenizer.ggml.model")).isEqualTo("llama");
            assertThat(o.get("tokenizer.ggml.pre")).isEqualTo("default");
            assertThat(o.get("tokenizer.ggml.tokens")).isEqualTo(r.get("tokenizer.ggml.tokens"));
            assertThat(o.get("tokenizer.ggml.token_type")).isEqualTo(r.get("tokenizer.ggml.token_type"));
            assertThat(o.get("tokenizer.ggml.bos_token_id")).isEqualTo(1L);
            assertThat(o.get("tokenizer.ggml.eos_token_id")).isEqualTo(2L);
            assertThat(o.get("tokenizer.ggml.unknown_token_id")).isEqualTo(0L);
            assertThat(o.get("tokenizer.ggml.add_bos_token")).isEqualTo(true);
            assertThat(o.get("tokenizer.ggml.add_eos_token")).isEqualTo(false);

            // llama.cpp merges by score: every piece that two pieces make must rank as SentencePiece's own scores rank it
            List<?> pieces = (List<?>) r.get("tokenizer.ggml.tokens");
            List<?> theirScores = (List<?>) r.get("tokenizer.ggml.scores");
            List<?> ourScores = (List<?>) o.get("tokenizer.ggml.scores");
            assertThat(ourScores).hasSameSizeAs(theirScores);
            List<Integer> merged = new ArrayList<>();
            java.util.Set<Object> all = new java.util.HashSet<>(pieces);
            for (int id = 0; id < pieces.size(); id++) {
                String p = (String) pieces.get(id);
                for (int i = 1; i < p.length(); i++) {
                    if (all.contains(p.substring(0, i)) && all.contains(p.substring(i))) {
                        merged.add(id);
                        break;
                    }
                }
            }
            assertThat(merged).hasSizeGreaterThan(20000);
            merged.sort(Comparator.comparingDouble((Integer id) -> -((Number) theirScores.get(id)).doubleValue()).thenComparingInt(id -> id));
            for (int i = 1; i < merged.size(); i++) {
                double before = ((Number) ourScores.get(merged.get(i - 1))).doubleValue();
                double after = ((Number) ourScores.get(merged.get(i))).doubleValue();
                assertThat(after).as("score of '%s' after '%s'", pieces.get(merged.get(i)), pieces.get(merged.get(i - 1))).isLessThan(before);
            }
        }
    }

    @Test
    void theConvertedVocabularyTokenizesLikeLlamaCppAndLikeTheTokenizerJson(@TempDir Path dir) throws IOException {
        Path hf = mistralFolder(dir.resolve("hf"));
        Path gguf = convert(hf, dir.resolve("model.gguf"));
        SentencePieceBpeTokenizer fromGguf;
        SentencePieceBpeTokenizer fromJson;
        try (ModelFiles g = ModelFiles.open(gguf); ModelFiles h = ModelFiles.open(hf)) {
            fromGguf = (SentencePieceBpeTokenizer) g.anyTokenizer();
            fromJson = (SentencePieceBpeTokenizer) h.anyTokenizer();
        }
        assertThat(fromGguf.spec().scores()).isNotNull(); // merged by score, as llama.cpp does
        assertThat(fromJson.spec().merges()).isNotNull(); // merged by rank, as HF does

        Path folder = vocabFolder();
        List<String> cases = new ArrayList<>(Arrays.asList(
                Files.readString(folder.resolve(VOCAB_FILE + ".inp"), StandardCharsets.UTF_8).split("\n__ggml_vocab_test__\n", -1)));
        if (cases.getLast().isEmpty()) cases.removeLast();
        List<String> expected = new ArrayList<>(Arrays.asList(
                Files.readString(folder.resolve(VOCAB_FILE + ".out"), StandardCharsets.UTF_8).split("\n", -1)));
        if (expected.getLast().isEmpty()) expected.removeLast();
        assertThat(cases).hasSameSizeAs(expected).hasSizeGreaterThan(10);
        for (int i = 0; i < cases.size(); i++) {
            int[] want = expected.get(i).isBlank() ? new int[0]
                    : Arrays.stream(expected.get(i).trim().split(" ")).mapToInt(Integer::parseInt).toArray();
            assertThat(fromGguf.encode(cases.get(i))).as("llama.cpp's case %d", i).containsExactly(want);
        }
        List<String> texts = new ArrayList<>(TEXTS);
        texts.addAll(cases);
        for (String text : texts) {
            for (Tokenizer.SpecialTokens specials : Tokenizer.SpecialTokens.values()) {
                assertThat(fromGguf.encode(text, specials)).as("%s (%s)", text, specials).containsExactly(fromJson.encode(text, specials));
                assertThat(fromGguf.encodeForModel(text, specials)).as("%s (%s)", text, specials)
                        .containsExactly(fromJson.encodeForModel(text, specials));
            }
        }
    }

    @Test
    void theModelRunsTheSameFromBothFilesAndSpeculativeGreedyEqualsPlain(@TempDir Path dir) throws IOException {
        Path hf = mistralFolder(dir.resolve("hf"));
        Path gguf = convert(hf, dir.resolve("model.gguf"));
        int[] prompt = {1, 450, 4996, 17354, 1701, 29916, 29871, 13};
        try (VectorKernels kernels = new VectorKernels(2);
             Transformer a = TransformerLoader.load(hf, new LoadOptions(null, kernels));
             Transformer b = TransformerLoader.load(gguf, new LoadOptions(null, kernels));
             var sa = a.newSession(); var sb = b.newSession()) {
            float[][] x = sa.forward(prompt);
            float[][] y = sb.forward(prompt);
            for (int t = 0; t < prompt.length; t++) assertThat(y[t]).as("token %d", t).containsExactly(x[t]);
            assertThat(x[1]).isNotEqualTo(x[2]);
        }
        GenerationConfig.Builder greedy = GenerationConfig.builder().maxTokens(24).stopAtEos(false).gamma(4);
        String text = "Once upon a time, naïve 🦙";
        int[] plain;
        try (Generator g = Generator.open(ModelSpec.of(hf).withKernels(null, 2, 0))) {
            plain = g.generate(text, greedy.mode(Mode.AR).build()).tokens();
            assertThat(plain).hasSize(24);
        }
        try (Generator g = Generator.open(ModelSpec.of(gguf).withKernels(null, 2, 0))) {
            assertThat(g.generate(text, greedy.mode(Mode.AR).build()).tokens()).as("AR from the GGUF").containsExactly(plain);
        }
        try (Generator g = Generator.open(ModelSpec.of(gguf).withArDrafter(hf).withKernels(null, 2, 0))) {
            var r = g.generate(text, greedy.mode(Mode.SD).build());
            assertThat(r.tokens()).as("SD, the GGUF drafted by the HF folder").containsExactly(plain);
            assertThat(r.stats().accepted()).as("the same weights: every draft accepted").isEqualTo(r.stats().drafted());
        }
    }

    // ------------------------------------------------------------------------------ what llama.cpp's "llama" tokenizer cannot hold

    /** A hand-made SentencePiece vocabulary: specials, the 256 byte pieces, and a few pieces with every split merged. */
    static Path smallFolder(Path folder, String... extraPieces) throws IOException {
        List<String> pieces = new ArrayList<>(List.of("<unk>", "<s>", "</s>"));
        for (int b = 0; b < 256; b++) pieces.add(String.format("<0x%02X>", b));
        pieces.addAll(List.of("\u2581", "a", "b", "c", "ab", "\u2581a", "\u2581ab", "abc"));
        pieces.addAll(List.of(extraPieces));
        float[] scores = new float[pieces.size()];
        int[] types = new int[pieces.size()];
        for (int id = 0; id < pieces.size(); id++) {
            types[id] = id == 0 ? SentencePieceBpeTokenizer.UNKNOWN : id < 3 ? SentencePieceBpeTokenizer.CONTROL
                    : id < 259 ? SentencePieceBpeTokenizer.BYTE : SentencePieceBpeTokenizer.NORMAL;
            scores[id] = id < 259 ? 0 : -id;
        }
        RandomTransformers.of(RandomTransformers.Shape.tiny("llama", pieces.size()), 5).writeHf(folder);
        SentencePieceTokenizerJson.write(folder, pieces.toArray(String[]::new), scores, types, 1, 2, 0);
        return folder;
    }

    static void editTokenizerJson(Path folder, String from, String to) throws IOException {
        Path file = folder.resolve("tokenizer.json");
        String json = Files.readString(file);
        assertThat(json).contains(from);
        Files.writeString(file, json.replace(from, to));
    }

    @Test
    void aHandMadeVocabularyConvertsAndTokenizesLikeItsTokenizerJson(@TempDir Path dir) throws IOException {
        Path hf = smallFolder(dir.resolve("hf"));
        Path gguf = convert(hf, dir.resolve("model.gguf"));
        try (ModelFiles g = ModelFiles.open(gguf); ModelFiles h = ModelFiles.open(hf)) {
            SentencePieceBpeTokenizer a = (SentencePieceBpeTokenizer) g.anyTokenizer();
            SentencePieceBpeTokenizer b = (SentencePieceBpeTokenizer) h.anyTokenizer();
            for (String text : List.of("abc ab a cab", "ababab  ccc", "é b", "")) {
                assertThat(a.encodeForModel(text, Tokenizer.SpecialTokens.AS_TEXT)).as(text)
                        .containsExactly(b.encodeForModel(text, Tokenizer.SpecialTokens.AS_TEXT));
            }
        }
    }

    @Test
    void aSplitWithoutItsMergeIsRefusedNamingThePiece(@TempDir Path dir) throws IOException {
        Path hf = smallFolder(dir.resolve("hf"));
        editTokenizerJson(hf, ",[\"ab\",\"c\"]", ""); // "abc" is still in the vocabulary, but nothing merges into it
        assertThatThrownBy(() -> convert(hf, dir.resolve("model.gguf")))
                .isInstanceOf(ConversionException.class).hasMessageContaining("'abc'").hasMessageContaining("'ab' + 'c'");
    }

    @Test
    void aPieceThatIsNotUnicodeIsRefusedNamingIt(@TempDir Path dir) throws IOException {
        Path hf = smallFolder(dir.resolve("hf"), "zz");
        editTokenizerJson(hf, "\"zz\"", "\"\\ud800z\"");
        assertThatThrownBy(() -> convert(hf, dir.resolve("model.gguf")))
                .isInstanceOf(ConversionException.class).hasMessageContaining("\\uD800z").hasMessageContaining("UTF-8");
    }

    @Test
    void aByteTokenInLowerCaseHexIsRefusedNamingIt(@TempDir Path dir) throws IOException {
        Path hf = smallFolder(dir.resolve("hf"));
        editTokenizerJson(hf, "\"<0x0A>\"", "\"<0x0a>\"");
        assertThatThrownBy(() -> convert(hf, dir.resolve("model.gguf")))
                .isInstanceOf(ConversionException.class).hasMessageContaining("'<0x0a>'").hasMessageContaining("<0x0A>");
    }

    @Test
    void aMetaspaceThatSplitsWordsIsRefused(@TempDir Path dir) throws IOException {
        Path hf = smallFolder(dir.resolve("hf"));
        editTokenizerJson(hf, "\"decoder\"", "\"pre_tokenizer\":{\"type\":\"Metaspace\",\"replacement\":\"\u2581\",\"prepend_scheme\":\"always\","
                + "\"split\":true},\"decoder\"");
        editTokenizerJson(hf, "\"normalizer\":", "\"unused_normalizer\":");
        assertThatThrownBy(() -> convert(hf, dir.resolve("model.gguf")))
                .isInstanceOf(ConversionException.class).hasMessageContaining("Metaspace").hasMessageContaining("split");
    }
}
