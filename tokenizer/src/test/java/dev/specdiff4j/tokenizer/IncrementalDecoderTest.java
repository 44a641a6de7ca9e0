package dev.specdiff4j.tokenizer;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class IncrementalDecoderTest {

    @Test
    void streamingEqualsWholeDecodeAndNeverEmitsBrokenCharacters() {
        BpeTokenizer gpt2 = TestTokenizers.gpt2();
        List<String> strings = TestTokenizers.stressStrings(5L, 3000);
        for (String s : strings) {
            int[] ids = gpt2.encode(s);
            IncrementalDecoder decoder = gpt2.newDecoder();
            StringBuilder streamed = new StringBuilder();
            for (int id : ids) {
                String piece = decoder.push(id);
                assertThat(piece).doesNotContain("\uFFFD");
                assertThat(piece.isEmpty() || !Character.isHighSurrogate(piece.charAt(piece.length() - 1))).isTrue();
                streamed.append(piece);
            }
            streamed.append(decoder.finish());
            assertThat(streamed.toString()).isEqualTo(gpt2.decode(ids)).isEqualTo(s);
        }
    }

    @Test
    void emojiSplitAcrossTokensIsHeldBackUntilComplete() {
        BpeTokenizer gpt2 = TestTokenizers.gpt2();
        int[] ids = gpt2.encode("🦙");
        assertThat(ids.length).isGreaterThan(1);
        IncrementalDecoder decoder = gpt2.newDecoder();
        for (int i = 0; i < ids.length - 1; i++) {
            assertThat(decoder.push(ids[i])).isEmpty();
            assertThat(decoder.hasPending()).isTrue();
        }
        assertThat(decoder.push(ids[ids.length - 1])).isEqualTo("🦙");
    }

    @Test
    void arbitraryByteStreamsMatchWholeDecodeForEverySplit() {
        // Random bytes (mostly invalid UTF-8) fed one byte-token at a time: the concatenation of the
        // streamed pieces must still equal the whole decode, replacement characters included.
        BpeTokenizer gpt2 = TestTokenizers.gpt2();
        Random random = new Random(3);
        int[] byteToken = new int[256];
        for (int b = 0; b < 256; b++) byteToken[b] = gpt2.idOf(new byte[] {(byte) b});
        byte[] interesting = {(byte) 0xE0, (byte) 0xA0, (byte) 0x80, (byte) 0xF0, (byte) 0x90, (byte) 0xED, (byte) 0xBF,
            (byte) 0xC2, (byte) 0xF4, (byte) 0x8F, (byte) 0xC0, 'a', (byte) 0xFF, (byte) 0xE2, (byte) 0x82, (byte) 0xAC};
        for (int trial = 0; trial < 200_000; trial++) {
            byte[] bytes = new byte[1 + random.nextInt(12)];
            for (int i = 0; i < bytes.length; i++) bytes[i] = interesting[random.nextInt(interesting.length)];
            int[] ids = new int[bytes.length];
            for (int i = 0; i < bytes.length; i++) ids[i] = byteToken[bytes[i] & 0xFF];
            IncrementalDecoder decoder = gpt2.newDecoder();
            StringBuilder streamed = new StringBuilder();
            for (int id : ids) streamed.append(decoder.push(id));
            streamed.append(decoder.finish());
            assertThat(streamed.toString()).as("bytes %s", java.util.HexFormat.of().formatHex(bytes))
                    .isEqualTo(new String(bytes, StandardCharsets.UTF_8));
        }
    }

    @Test
    void unknownIdIsAnError() {
        BpeTokenizer gpt2 = TestTokenizers.gpt2();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> gpt2.decode(new int[] {15496, 50257}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("50257");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> gpt2.newDecoder().push(-1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-1");
    }
}
