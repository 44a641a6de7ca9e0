package dev.specdiff4j.engine.kernels;

/**
 * A way to make {@link Kernels}, found with {@link java.util.ServiceLoader}. The engine uses the
 * available factory of highest priority unless one is named explicitly; it never falls back silently:
 * a named factory that is not available is an error, and the chosen kernels are always reported.
 */
public interface KernelsFactory {
    /** The name users pick it by: "vector", "reference". */
    String name();

    /** Higher wins when none is named. */
    int priority();

    /** Null when usable here, otherwise why not (for the error message). */
    String unavailableReason();

    Kernels create(int threads);
}
