package dev.specdiff4j.tokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Shared fixtures: GPT-2 and cl100k vocabularies taken from jtokkit's jar, and stress-test strings. */
final class TestTokenizers {
    private static BpeTokenizer gpt2;
    private static BpeTokenizer cl100k;

    private TestTokenizers() {
    }

    /** jtokkit ships the tiktoken rank files as resources; copy one out to a file under the module's {@code target/}. */
    static Path jtokkitRanks(String name) {
        try (InputStream in = com.knuddels.jtokkit.Encodings.class.getResourceAsStream("/com/knuddels/jtokkit/" + name + ".tiktoken")) {
            if (in == null) throw new IllegalStateException("jtokkit has no " + name + ".tiktoken resource");
            Path file = Files.createDirectories(Path.of("target", "test-vocabularies")).resolve(name + ".tiktoken");
            Files.write(file, in.readAllBytes());
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static synchronized BpeTokenizer gpt2() {
        if (gpt2 == null) {
            try {
                gpt2 = Tokenizers.fromTiktoken(jtokkitRanks("r50k_base"), null);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return gpt2;
    }

    static synchronized BpeTokenizer cl100k() {
        if (cl100k == null) {
            try {
                cl100k = Tokenizers.fromTiktoken(jtokkitRanks("cl100k_base"), PreTokenizer.LLAMA3);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return cl100k;
    }

    /**
     * Writes GPT-2's original {@code encoder.json} + {@code vocab.bpe} pair, reconstructed from the r50k
     * ranks: the merge that made token t is found by running BPE on t's bytes with only the ranks below
     * t's, which leaves exactly two parts.
     */
    static Path writeGpt2VocabAndMerges(Path folder) throws IOException {
        List<byte[]> ranks = new ArrayList<>();
        for (String line : Files.readAllLines(jtokkitRanks("r50k_base"), StandardCharsets.ISO_8859_1)) {
            if (!line.isBlank()) ranks.add(Base64.getDecoder().decode(line.substring(0, line.indexOf(' '))));
        }
        Map<String, Integer> rankOf = new java.util.HashMap<>();
        for (int i = 0; i < ranks.size(); i++) rankOf.put(BpeTokenizer.latin1(ranks.get(i)), i);
        StringBuilder merges = new StringBuilder("#version: 0.2\n");
        for (int id = 256; id < ranks.size(); id++) {
            List<byte[]> parts = limitedBpe(ranks.get(id), rankOf, id);
            if (parts.size() != 2) throw new IllegalStateException("token " + id + " does not come from one merge");
            merges.append(ByteLevel.encode(parts.get(0))).append(' ').append(ByteLevel.encode(parts.get(1))).append('\n');
        }
        Map<String, Object> vocab = new LinkedHashMap<>();
        for (int id = 0; id < ranks.size(); id++) vocab.put(ByteLevel.encode(ranks.get(id)), (long) id);
        vocab.put("<|endoftext|>", 50256L);
        Files.writeString(folder.resolve("encoder.json"), dev.specdiff4j.json.Json.write(vocab), StandardCharsets.UTF_8);
        Files.writeString(folder.resolve("vocab.bpe"), merges, StandardCharsets.UTF_8);
        return folder;
    }

    private static List<byte[]> limitedBpe(byte[] bytes, Map<String, Integer> rankOf, int limit) {
        List<byte[]> parts = new ArrayList<>();
        for (byte b : bytes) parts.add(new byte[] {b});
        while (true) {
            int best = -1;
            int bestRank = limit;
            for (int i = 0; i + 1 < parts.size(); i++) {
                Integer r = rankOf.get(BpeTokenizer.latin1(join(parts.get(i), parts.get(i + 1))));
                if (r != null && r < bestRank) {
                    bestRank = r;
                    best = i;
                }
            }
            if (best < 0) return parts;
            parts.set(best, join(parts.get(best), parts.get(best + 1)));
            parts.remove(best + 1);
        }
    }

    private static byte[] join(byte[] a, byte[] b) {
        byte[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    private static final String[] FRAGMENTS = {
        "the", "The", "quick", "brown", "fox", "HELLO", "world", "naïve", "café", "résumé", "Straße", "Ωμέγα",
        "'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'T", "'RE", "'LL", "don't", "I'm", "we'd", "''", "'",
        "0", "7", "42", "1234", "3.14159", "1,000,000", "٣٤٥", "²³", "Ⅻ", "½",
        " ", "  ", "   ", "\t", "\n", "\n\n", "\r\n", " \n ", "\u00a0", "\u3000", "\u2009", "\u200b", "\u2028", "\u0085",
        "\u000b", "\f", "\u001c", "\u180e", "\ufeff",
        "!", "?", "...", "—", "–", "«", "»", "“", "”", "(", ")", "[", "]", "{", "}", "#", "$", "%", "&", "*", "@",
        "<", ">", "/", "\\", "|", "~", "^", "`", "_", "-", "+", "=", ";", ":", ",", ".",
        "😀", "👍", "👍🏽", "👨‍👩‍👧‍👦", "🇩🇪", "🏳️‍🌈", "❤️", "🧑‍💻", "\ud83d\ude00\ud83d\ude01",
        "e\u0301", "a\u0308\u0304", "Z\u0351\u0352\u0357\u0358", "\u0915\u094d\u0937", "\u05e9\u05c1\u05b8",
        "中文", "日本語のテキスト", "한국어", "漢字かな交じり", "ｆｕｌｌｗｉｄｔｈ", "العربية", "עברית", "हिन्दी", "ไทย",
        "<|endoftext|>", "<|endoftext", "endoftext|>", "<|", "|>", "<|fim_prefix|>",
        "\u0000", "\u0001", "\u007f", "\u00ad", "\ud800\udc00", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "🂡",
    };

    /** Random strings built from fragments that stress pre-tokenization and byte-level BPE. */
    static List<String> stressStrings(long seed, int count) {
        Random random = new Random(seed);
        List<String> strings = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            StringBuilder sb = new StringBuilder();
            int parts = 1 + random.nextInt(random.nextInt(4) == 0 ? 40 : 8);
            for (int p = 0; p < parts; p++) {
                switch (random.nextInt(10)) {
                    case 0 -> sb.append(" ".repeat(1 + random.nextInt(5)));
                    case 1 -> sb.appendCodePoint(randomCodePoint(random));
                    case 2 -> sb.append(random.nextInt(1_000_000));
                    default -> sb.append(FRAGMENTS[random.nextInt(FRAGMENTS.length)]);
                }
            }
            strings.add(sb.toString());
        }
        return strings;
    }

    private static int randomCodePoint(Random random) {
        while (true) {
            int cp = switch (random.nextInt(4)) {
                case 0 -> random.nextInt(0x80);
                case 1 -> random.nextInt(0x800);
                case 2 -> random.nextInt(0x10000);
                default -> random.nextInt(0x110000);
            };
            if (cp < 0xD800 || cp > 0xDFFF) return cp;
        }
    }
}
