package dev.specdiff4j.engine.io;

/** A weight file that cannot be used: the message names the file, the tensor when there is one, and the problem. */
public final class WeightFileException extends RuntimeException {
    public WeightFileException(String file, String problem) {
        super(file + ": " + problem);
    }

    public WeightFileException(String file, String tensor, String problem) {
        super(file + ": tensor '" + tensor + "': " + problem);
    }

    public WeightFileException(String file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
    }
}
