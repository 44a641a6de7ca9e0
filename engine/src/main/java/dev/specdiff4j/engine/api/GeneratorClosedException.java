package dev.specdiff4j.engine.api;

/**
 * {@link Generator#generate} was called after {@link Generator#close()}, or the generator was closed while
 * the generation ran (the text streamed to the listener until then is all there is).
 */
public final class GeneratorClosedException extends IllegalStateException {
    GeneratorClosedException(String message) {
        super(message);
    }
}
