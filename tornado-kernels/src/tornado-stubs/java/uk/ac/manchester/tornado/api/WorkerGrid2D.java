package uk.ac.manchester.tornado.api;

/** Compile-only stand-in for TornadoVM 5.2.0's WorkerGrid2D. */
public class WorkerGrid2D extends AbstractWorkerGrid {
    public WorkerGrid2D(int x, int y) {
        super(x, y, 1);
    }

    @Override
    public int dimension() {
        throw new UnsupportedOperationException("TornadoVM API stub: compile-only");
    }
}
