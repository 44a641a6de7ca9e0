package dev.specdiff4j.cli;

import picocli.CommandLine;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;

/** Turns any failure into one clear sentence on stderr and a non-zero exit code (a stack trace only with --debug). */
final class Errors implements CommandLine.IExecutionExceptionHandler {
    private final boolean debug;

    Errors(boolean debug) {
        this.debug = debug;
    }

    @Override
    public int handleExecutionException(Exception e, CommandLine cli, CommandLine.ParseResult parseResult) {
        var err = cli.getErr();
        err.println("specdiff4j: " + describe(e));
        if (debug) e.printStackTrace(err);
        err.flush();
        return 1;
    }

    static String describe(Throwable e) {
        if (e instanceof NoSuchFileException n) return "no such file: " + n.getFile();
        if (e instanceof AccessDeniedException a) return "permission denied: " + a.getFile();
        if (e instanceof FileNotFoundException f) return f.getMessage();
        if (e instanceof OutOfMemoryError) return "out of memory (raise the heap with SPECDIFF4J_JAVA_OPTS=-Xmx...)";
        String message = e.getMessage();
        if (message == null || message.isBlank()) {
            Throwable cause = e.getCause();
            if (cause != null && cause != e) return describe(cause);
            return e.getClass().getSimpleName();
        }
        if (e instanceof IOException && !(e instanceof java.nio.file.FileSystemException)) {
            return "I/O error: " + message;
        }
        return message;
    }
}
