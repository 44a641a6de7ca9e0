package dev.specdiff4j.tokenizer;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The Llama 3 (cl100k-style) pattern and the tiktoken loader agree with jtokkit's cl100k_base. */
class Cl100kAgreementTest {
    private static final Encoding JTOKKIT = Encodings.newDefaultEncodingRegistry().getEncoding(EncodingType.CL100K_BASE);

    @Test
    void agreesWithJtokkit() {
        BpeTokenizer cl100k = TestTokenizers.cl100k();
        assertThat(cl100k.preTokenizer()).isSameAs(PreTokenizer.LLAMA3);
        List<String> strings = TestTokenizers.stressStrings(77L, 3000);
        for (String s : strings) {
            assertThat(cl100k.encode(s)).as(Gpt2AgreementTest.escape(s)).containsExactly(JTOKKIT.encodeOrdinary(s).toArray());
            assertThat(cl100k.decode(cl100k.encode(s))).isEqualTo(s);
        }
    }

    @Test
    void knownSpecialTokensAreAdded() {
        BpeTokenizer cl100k = TestTokenizers.cl100k();
        assertThat(cl100k.specialTokenId("<|endoftext|>")).hasValue(100257);
        assertThat(cl100k.encode("a<|endofprompt|>", Tokenizer.SpecialTokens.AS_IDS)).endsWith(100276);
    }

    @Test
    void qwenPatternSplitsDigitsOneByOne() {
        assertThat(PreTokenizer.QWEN2.split("abc 12345")).containsExactly("abc", " ", "1", "2", "3", "4", "5");
        assertThat(PreTokenizer.LLAMA3.split("abc 12345")).containsExactly("abc", " ", "123", "45");
        assertThat(PreTokenizer.GPT2.split("abc 12345")).containsExactly("abc", " 12345");
    }
}
