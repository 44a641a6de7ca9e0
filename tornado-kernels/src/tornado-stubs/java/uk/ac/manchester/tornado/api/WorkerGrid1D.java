package uk.ac.manchester.tornado.api;

/** Compile-only stand-in for TornadoVM 5.2.0's WorkerGrid1D. */
public class WorkerGrid1D extends AbstractWorkerGrid {
    public WorkerGrid1D(int x) {
        super(x, 1, 1);
    }

    @Override
    public int dimension() {
        throw new UnsupportedOperationException("TornadoVM API stub: compile-only");
    }
}
