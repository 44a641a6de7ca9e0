package dev.specdiff4j.weights;

/** A conversion that cannot be done, with the reason. */
public final class ConversionException extends RuntimeException {
    public ConversionException(String message) {
        super(message);
    }
}
