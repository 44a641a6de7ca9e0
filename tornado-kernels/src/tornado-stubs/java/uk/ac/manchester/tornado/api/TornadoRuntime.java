package uk.ac.manchester.tornado.api;

/** Compile-only stand-in for TornadoVM 5.2.0's TornadoRuntime. */
public interface TornadoRuntime {
    TornadoBackend getBackend(int index);

    int getNumBackends();
}
