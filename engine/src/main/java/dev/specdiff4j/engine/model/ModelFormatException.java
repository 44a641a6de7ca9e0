package dev.specdiff4j.engine.model;

/** A model folder or file whose configuration or tensors do not describe a model specdiff4j can run. */
public final class ModelFormatException extends RuntimeException {
    public ModelFormatException(String message) {
        super(message);
    }

    public ModelFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
