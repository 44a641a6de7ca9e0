package uk.ac.manchester.tornado.api;

/** Compile-only stand-in for TornadoVM 5.2.0's AbstractWorkerGrid. */
public abstract class AbstractWorkerGrid implements WorkerGrid {
    protected AbstractWorkerGrid(long x, long y, long z) {
        throw new UnsupportedOperationException("TornadoVM API stub: compile-only");
    }

    @Override
    public void setGlobalWork(long x, long y, long z) {
        throw new UnsupportedOperationException("TornadoVM API stub: compile-only");
    }

    @Override
    public void setLocalWork(long x, long y, long z) {
        throw new UnsupportedOperationException("TornadoVM API stub: compile-only");
    }

    @Override
    public void setLocalWorkToNull() {
        throw new UnsupportedOperationException("TornadoVM API stub: compile-only");
    }
}
