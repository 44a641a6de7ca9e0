package dev.specdiff4j.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Streaming decoding that never emits half a character. A byte-level token can end in the middle of a
 * multi-byte UTF-8 sequence (an emoji is often three or four tokens); the bytes of an unfinished
 * sequence at the end are held back until the tokens that complete it arrive. The concatenation of
 * everything {@link #push} and {@link #finish} return equals {@link Tokenizer#decode} of all the ids.
 * Not thread-safe: one decoder per stream.
 */
public final class IncrementalDecoder {
    private final Tokenizer tokenizer;
    private byte[] pending = new byte[16];
    private int pendingLength;

    IncrementalDecoder(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /** Adds one token and returns the text that is now complete (possibly empty). */
    public String push(int id) {
        byte[] bytes = tokenizer.tokenBytes(id);
        if (pendingLength + bytes.length > pending.length) {
            pending = Arrays.copyOf(pending, Math.max(pending.length * 2, pendingLength + bytes.length));
        }
        System.arraycopy(bytes, 0, pending, pendingLength, bytes.length);
        pendingLength += bytes.length;
        int complete = completePrefixLength(pending, pendingLength);
        if (complete == 0) return "";
        String text = new String(pending, 0, complete, StandardCharsets.UTF_8);
        System.arraycopy(pending, complete, pending, 0, pendingLength - complete);
        pendingLength -= complete;
        return text;
    }

    /** Ends the stream: whatever is held back is decoded (an unfinished sequence becomes U+FFFD). */
    public String finish() {
        String text = new String(pending, 0, pendingLength, StandardCharsets.UTF_8);
        pendingLength = 0;
        return text;
    }

    /** True when bytes are held back waiting for the rest of a character. */
    public boolean hasPending() {
        return pendingLength > 0;
    }

    /**
     * The length of the longest prefix that does not end inside an unfinished UTF-8 sequence: if the
     * last few bytes are a lead byte followed by fewer continuation bytes than it announces, they are
     * held back (even if they can no longer become valid: decoding them together with what follows
     * keeps the replacement characters exactly those of a whole decode).
     */
    static int completePrefixLength(byte[] bytes, int length) {
        for (int back = 1; back <= Math.min(3, length); back++) {
            int b = bytes[length - back] & 0xFF;
            if ((b & 0xC0) == 0x80) continue; // continuation byte: keep looking for the lead byte
            return sequenceLength(b) > back ? length - back : length;
        }
        return length;
    }

    private static int sequenceLength(int lead) {
        if (lead >= 0xC2 && lead <= 0xDF) return 2;
        if (lead >= 0xE0 && lead <= 0xEF) return 3;
        if (lead >= 0xF0 && lead <= 0xF4) return 4;
        return 1;
    }
}
