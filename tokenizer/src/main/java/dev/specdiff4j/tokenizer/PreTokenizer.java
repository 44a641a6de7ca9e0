package dev.specdiff4j.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Splits text into the pieces that BPE then encodes one at a time ("pre-tokens"). The split pattern is a
 * property of a tokenizer; GPT-2, Llama 3 (the cl100k style) and Qwen2 patterns are provided, and any
 * pattern from a {@code tokenizer.json} can be used.
 *
 * <p>Patterns are compiled with {@link Pattern#UNICODE_CHARACTER_CLASS} so that {@code \s} means Unicode
 * white space (as in the Python and Rust regex engines the original tokenizers use), not ASCII only.
 */
public final class PreTokenizer {
    /** GPT-2's pattern (also r50k / p50k). */
    public static final PreTokenizer GPT2 = new PreTokenizer("gpt2",
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+");

    /** Llama 3's pattern, the same as OpenAI's cl100k_base. */
    public static final PreTokenizer LLAMA3 = new PreTokenizer("llama3",
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*"
                    + "|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+");

    /** Qwen2's pattern: like Llama 3 but digits are split one by one. */
    public static final PreTokenizer QWEN2 = new PreTokenizer("qwen2",
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*"
                    + "|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+");

    private final String name;
    private final String regex;
    private final Pattern pattern;

    private PreTokenizer(String name, String regex) {
        this.name = name;
        this.regex = regex;
        this.pattern = Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS);
    }

    /** A pre-tokenizer for a regex taken from a tokenizer file; a known pattern gets its well-known name. */
    public static PreTokenizer ofRegex(String regex) {
        for (PreTokenizer known : List.of(GPT2, LLAMA3, QWEN2)) {
            if (known.regex.equals(regex)) return known;
        }
        try {
            return new PreTokenizer("custom", regex);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("the pre-tokenizer pattern is not a valid regular expression: "
                    + e.getDescription(), e);
        }
    }

    /** Looks up a provided pattern by name: gpt2, llama3 (or cl100k) or qwen2. */
    public static PreTokenizer named(String name) {
        return switch (name.toLowerCase(java.util.Locale.ROOT)) {
            case "gpt2", "gpt-2", "r50k", "p50k" -> GPT2;
            case "llama3", "llama-3", "cl100k" -> LLAMA3;
            case "qwen2", "qwen" -> QWEN2;
            default -> throw new IllegalArgumentException("unknown pre-tokenizer '" + name
                    + "': use gpt2, llama3 or qwen2");
        };
    }

    public String name() {
        return name;
    }

    public String regex() {
        return regex;
    }

    /** Calls {@code sink} with each piece of {@code text}, in order; the pieces concatenate to the text. */
    public void split(CharSequence text, Consumer<String> sink) {
        Matcher m = pattern.matcher(text);
        int end = 0;
        while (m.find()) {
            if (m.start() > end) {
                // Every character is matched by the final \s+ or another branch, so this cannot happen
                // with the provided patterns; a custom one may skip text, which we keep rather than drop.
                sink.accept(text.subSequence(end, m.start()).toString());
            }
            if (m.end() > m.start()) sink.accept(m.group());
            end = m.end();
        }
        if (end < text.length()) sink.accept(text.subSequence(end, text.length()).toString());
    }

    public List<String> split(CharSequence text) {
        List<String> pieces = new ArrayList<>();
        split(text, pieces::add);
        return pieces;
    }

    @Override
    public String toString() {
        return name;
    }
}
