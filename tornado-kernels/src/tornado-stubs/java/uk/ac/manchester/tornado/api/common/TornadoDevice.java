package uk.ac.manchester.tornado.api.common;

import uk.ac.manchester.tornado.api.TornadoTargetDevice;
import uk.ac.manchester.tornado.api.enums.TornadoDeviceType;

/** Compile-only stand-in for TornadoVM 5.2.0's TornadoDevice. */
public interface TornadoDevice {
    String getDeviceName();

    TornadoTargetDevice getPhysicalDevice();

    TornadoDeviceType getDeviceType();

    long getMaxGlobalMemory();
}
