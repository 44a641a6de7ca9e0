package uk.ac.manchester.tornado.api.exceptions;

/** Compile-only stand-in for TornadoVM 5.2.0's TornadoExecutionPlanException. */
public class TornadoExecutionPlanException extends Exception {
    public TornadoExecutionPlanException(String reason) {
        super(reason);
    }

    public TornadoExecutionPlanException(String message, Throwable cause) {
        super(message, cause);
    }
}
