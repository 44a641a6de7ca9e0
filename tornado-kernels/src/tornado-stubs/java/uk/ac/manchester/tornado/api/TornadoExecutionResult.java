package uk.ac.manchester.tornado.api;

/** Compile-only stand-in for TornadoVM 5.2.0's TornadoExecutionResult. */
public class TornadoExecutionResult {
    TornadoExecutionResult() {
        throw new UnsupportedOperationException("TornadoVM API stub: compile-only");
    }

    public TornadoExecutionResult transferToHost(Object... objects) {
        throw new UnsupportedOperationException("TornadoVM API stub: compile-only");
    }
}
