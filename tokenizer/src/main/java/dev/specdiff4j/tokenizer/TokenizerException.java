package dev.specdiff4j.tokenizer;

/** A tokenizer file that cannot be used; the message names the file and the problem. */
public final class TokenizerException extends RuntimeException {
    public TokenizerException(String source, String problem) {
        super(source + ": " + problem);
    }

    /** A message that already names the file. */
    public TokenizerException(String message) {
        super(message);
    }

    public TokenizerException(String source, String problem, Throwable cause) {
        super(source + ": " + problem, cause);
    }
}
