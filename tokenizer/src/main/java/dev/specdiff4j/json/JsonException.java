package dev.specdiff4j.json;

/** Malformed JSON, or a value of the wrong kind where a reader expected another. */
public final class JsonException extends RuntimeException {
    public JsonException(String message) {
        super(message);
    }
}
