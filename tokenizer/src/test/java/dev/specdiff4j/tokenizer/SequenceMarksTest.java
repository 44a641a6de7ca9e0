package dev.specdiff4j.tokenizer;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** BOS in front and EOS behind, as asked, and never a second one. */
class SequenceMarksTest {

    @Test
    void bosGoesInFrontOfTheText() {
        assertThat(new SequenceMarks(7, -1).frame(new int[] {3, 4})).containsExactly(7, 3, 4);
    }

    @Test
    void anEmptyTextIsBosAlone() {
        assertThat(new SequenceMarks(7, -1).frame(new int[0])).containsExactly(7);
        assertThat(new SequenceMarks(7, 9).frame(new int[0])).containsExactly(7, 9);
    }

    @Test
    void aTextAlreadyStartingWithBosGetsNoSecond() {
        assertThat(new SequenceMarks(7, -1).frame(new int[] {7, 3})).containsExactly(7, 3);
        // BOS later in the text is the text's own business
        assertThat(new SequenceMarks(7, -1).frame(new int[] {3, 7})).containsExactly(7, 3, 7);
    }

    @Test
    void eosGoesBehindOnlyWhenAskedAndOnlyOnce() {
        assertThat(new SequenceMarks(-1, 9).frame(new int[] {3})).containsExactly(3, 9);
        assertThat(new SequenceMarks(7, 9).frame(new int[] {3, 9})).containsExactly(7, 3, 9);
    }

    @Test
    void noneLeavesTheTextAsItIs() {
        assertThat(SequenceMarks.NONE.frame(new int[] {3, 4})).containsExactly(3, 4);
        assertThat(SequenceMarks.NONE.frame(new int[0])).isEmpty();
        assertThat(SequenceMarks.NONE.addsBos()).isFalse();
    }

    @Test
    void refusesNegativeIdsOtherThanNone() {
        assertThatThrownBy(() -> new SequenceMarks(-2, -1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void byteLevelTokenizersAddNothingUnlessTheirSpecSaysSo() {
        BpeTokenizer gpt2 = TestTokenizers.gpt2();
        assertThat(gpt2.sequenceMarks()).isEqualTo(SequenceMarks.NONE);
        assertThat(gpt2.encodeForModel("Hello world")).containsExactly(gpt2.encode("Hello world"));
        assertThat(gpt2.encodeForModel("")).isEmpty();
    }

    @Test
    void aSpecAskingForATokenOutsideTheVocabularyIsRefused() {
        BpeTokenizer gpt2 = TestTokenizers.gpt2();
        assertThatThrownBy(() -> new BpeTokenizer(new BpeTokenizer.Spec("test", gpt2.tokens().toArray(byte[][]::new), null,
                gpt2.specialTokens(), PreTokenizer.GPT2, true, false, new SequenceMarks(gpt2.vocabSize(), -1))))
                .isInstanceOf(TokenizerException.class).hasMessageContaining("not in the vocabulary");
    }
}
