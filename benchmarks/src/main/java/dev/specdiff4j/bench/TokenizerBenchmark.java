package dev.specdiff4j.bench;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import dev.specdiff4j.tokenizer.BpeTokenizer;
import dev.specdiff4j.tokenizer.Tokenizers;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * GPT-2 encoding throughput: specdiff4j's tokenizer (loaded from the same r50k ranks jtokkit ships)
 * against jtokkit's r50k_base, on the same text in the same run, alternating, best and median of the
 * repetitions. Both implement the same GPT-2 pre-tokenization pattern with java.util.regex.
 */
public final class TokenizerBenchmark {
    public record Result(long bytes, Samples oursMbPerSecond, Samples jtokkitMbPerSecond, boolean sameTokens) {
    }

    private TokenizerBenchmark() {
    }

    public static Result run(String text, int repeats) throws IOException {
        Path ranks = Files.createTempFile("r50k_base", ".tiktoken");
        try (InputStream in = Encodings.class.getResourceAsStream("/com/knuddels/jtokkit/r50k_base.tiktoken")) {
            Files.write(ranks, in.readAllBytes());
        }
        BpeTokenizer ours = Tokenizers.fromTiktoken(ranks, null);
        Files.delete(ranks);
        Encoding jtokkit = Encodings.newDefaultEncodingRegistry().getEncoding(EncodingType.R50K_BASE);
        long bytes = text.getBytes(StandardCharsets.UTF_8).length;
        boolean same = Arrays.equals(ours.encode(text), jtokkit.encodeOrdinary(text).toArray());
        Samples a = new Samples();
        Samples b = new Samples();
        for (int r = 0; r < repeats + 2; r++) {
            long t0 = System.nanoTime();
            ours.encode(text);
            long t1 = System.nanoTime();
            jtokkit.encodeOrdinary(text);
            long t2 = System.nanoTime();
            if (r >= 2) {
                a.add(bytes / ((t1 - t0) / 1e9) / 1e6);
                b.add(bytes / ((t2 - t1) / 1e9) / 1e6);
            }
        }
        return new Result(bytes, a, b, same);
    }

    public static String markdown(Result r, String corpus) {
        return String.format(Locale.ROOT, "| encoder | MB/s (median, min–max) |%n|---|---|%n| specdiff4j BpeTokenizer | %s |%n| jtokkit r50k_base | %s |%n%n"
                        + "%s, %.1f MB of UTF-8; identical tokens: %s; ratio specdiff4j ÷ jtokkit: %.2f.%n",
                r.oursMbPerSecond().format("%.1f"), r.jtokkitMbPerSecond().format("%.1f"), corpus, r.bytes() / 1e6, r.sameTokens() ? "yes" : "NO",
                r.oursMbPerSecond().median() / r.jtokkitMbPerSecond().median());
    }
}
