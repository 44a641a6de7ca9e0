package dev.specdiff4j.tokenizer;

import java.util.Arrays;

/**
 * GPT-2's reversible byte-to-unicode mapping. Byte-level BPE vocabularies (GPT-2 {@code encoder.json},
 * HF {@code tokenizer.json}, GGUF {@code tokenizer.ggml.tokens}) spell every token as a string in which
 * each byte is one printable character: the 188 bytes that are already printable Latin-1 map to
 * themselves and the other 68 (controls, space, soft hyphen...) to U+0100 onwards, in byte order.
 * So a space is 'Ġ' (U+0120) and a newline 'Ċ' (U+010A).
 */
public final class ByteLevel {
    private static final char[] BYTE_TO_CHAR = new char[256];
    private static final int[] CHAR_TO_BYTE = new int[512];
    /** The bytes in the order GPT-2 lists them: printable ones first, then the remapped ones. */
    private static final int[] BYTE_ORDER = new int[256];

    static {
        Arrays.fill(CHAR_TO_BYTE, -1);
        int n = 0;
        int shifted = 0;
        for (int b = 0; b < 256; b++) {
            if (isPrintable(b)) {
                BYTE_TO_CHAR[b] = (char) b;
                BYTE_ORDER[n++] = b;
            }
        }
        for (int b = 0; b < 256; b++) {
            if (!isPrintable(b)) {
                BYTE_TO_CHAR[b] = (char) (256 + shifted++);
                BYTE_ORDER[n++] = b;
            }
        }
        for (int b = 0; b < 256; b++) CHAR_TO_BYTE[BYTE_TO_CHAR[b]] = b;
    }

    private ByteLevel() {
    }

    private static boolean isPrintable(int b) {
        return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    }

    /** The character that stands for byte {@code b} (0..255). */
    public static char charOf(int b) {
        return BYTE_TO_CHAR[b & 0xFF];
    }

    /** Byte {@code i} of GPT-2's byte ordering, the order of the first 256 ids of its vocabulary. */
    public static int byteAt(int i) {
        return BYTE_ORDER[i];
    }

    /** Encodes raw bytes as a byte-level token string. */
    public static String encode(byte[] bytes) {
        char[] chars = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) chars[i] = BYTE_TO_CHAR[bytes[i] & 0xFF];
        return new String(chars);
    }

    /** Decodes a byte-level token string to raw bytes, or returns null if it is not one. */
    public static byte[] decodeOrNull(String token) {
        byte[] bytes = new byte[token.length()];
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            int b = c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
            if (b < 0) return null;
            bytes[i] = (byte) b;
        }
        return bytes;
    }
}
