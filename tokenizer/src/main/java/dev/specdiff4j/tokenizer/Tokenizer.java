package dev.specdiff4j.tokenizer;

import java.util.Map;
import java.util.OptionalInt;

/** Text to token ids and back. Implementations are immutable and safe to share between threads. */
public interface Tokenizer {

    /** How special-token text such as {@code <|endoftext|>} inside the input is treated. */
    enum SpecialTokens {
        /** Special-token text is ordinary text and is split into ordinary tokens. */
        AS_TEXT,
        /** Special-token text becomes the special token's id. */
        AS_IDS
    }

    /** Encodes text, treating special-token text as ordinary text. */
    default int[] encode(String text) {
        return encode(text, SpecialTokens.AS_TEXT);
    }

    int[] encode(String text, SpecialTokens specials);

    /** The BOS / EOS this tokenizer's files ask to add around a text a model reads; none unless they ask. */
    default SequenceMarks sequenceMarks() {
        return SequenceMarks.NONE;
    }

    /**
     * The ids a model should see for this text: {@link #encode} with BOS in front and EOS behind where the
     * tokenizer's files ask for them (see {@link SequenceMarks#frame}, which adds no second BOS to a text
     * that already starts with one).
     */
    default int[] encodeForModel(String text, SpecialTokens specials) {
        return sequenceMarks().frame(encode(text, specials));
    }

    /** {@link #encodeForModel(String, SpecialTokens)} with special-token text read as ordinary text. */
    default int[] encodeForModel(String text) {
        return encodeForModel(text, SpecialTokens.AS_TEXT);
    }

    /** Decodes ids to text; malformed UTF-8 (only possible for partial sequences) becomes U+FFFD. */
    String decode(int[] ids);

    /** The raw bytes of one token; an unknown id is an {@link IllegalArgumentException}. */
    byte[] tokenBytes(int id);

    /** One past the largest id. */
    int vocabSize();

    /** Special tokens by their text. */
    Map<String, Integer> specialTokens();

    default OptionalInt specialTokenId(String text) {
        Integer id = specialTokens().get(text);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /** A new streaming decoder, for one stream of ids. */
    default IncrementalDecoder newDecoder() {
        return new IncrementalDecoder(this);
    }

    /** A short human-readable description: kind, vocabulary size, pre-tokenizer. */
    String describe();
}
