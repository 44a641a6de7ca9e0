package uk.ac.manchester.tornado.api;

/** Compile-only stand-in for TornadoVM 5.2.0's TornadoTargetDevice. */
public interface TornadoTargetDevice {
    String getDeviceName();
}
