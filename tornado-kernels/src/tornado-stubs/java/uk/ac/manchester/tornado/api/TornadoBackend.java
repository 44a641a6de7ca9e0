package uk.ac.manchester.tornado.api;

import uk.ac.manchester.tornado.api.common.TornadoDevice;

/** Compile-only stand-in for TornadoVM 5.2.0's TornadoBackend. */
public interface TornadoBackend {
    int getNumDevices();

    TornadoDevice getDevice(int index);
}
