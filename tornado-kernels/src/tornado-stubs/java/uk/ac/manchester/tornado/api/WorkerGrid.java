package uk.ac.manchester.tornado.api;

/** Compile-only stand-in for TornadoVM 5.2.0's WorkerGrid. */
public interface WorkerGrid {
    int dimension();

    void setGlobalWork(long x, long y, long z);

    void setLocalWork(long x, long y, long z);

    void setLocalWorkToNull();
}
