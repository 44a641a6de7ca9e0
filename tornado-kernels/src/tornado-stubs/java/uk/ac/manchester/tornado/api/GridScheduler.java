package uk.ac.manchester.tornado.api;

/** Compile-only stand-in for TornadoVM 5.2.0's GridScheduler. */
public class GridScheduler {
    public GridScheduler() {
        throw new UnsupportedOperationException("TornadoVM API stub: compile-only");
    }

    public void addWorkerGrid(String taskName, WorkerGrid workerGrid) {
        throw new UnsupportedOperationException("TornadoVM API stub: compile-only");
    }
}
