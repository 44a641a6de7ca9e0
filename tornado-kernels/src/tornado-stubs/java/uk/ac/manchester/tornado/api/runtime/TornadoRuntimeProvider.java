package uk.ac.manchester.tornado.api.runtime;

import uk.ac.manchester.tornado.api.TornadoRuntime;

/** Compile-only stand-in for TornadoVM 5.2.0's TornadoRuntimeProvider. */
public class TornadoRuntimeProvider {
    private TornadoRuntimeProvider() {
    }

    public static TornadoRuntime getTornadoRuntime() {
        throw new UnsupportedOperationException("TornadoVM API stub: compile-only");
    }
}
