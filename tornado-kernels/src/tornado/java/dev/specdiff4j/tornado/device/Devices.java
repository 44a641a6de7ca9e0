package dev.specdiff4j.tornado.device;

import uk.ac.manchester.tornado.api.TornadoBackend;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.TornadoRuntime;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.runtime.TornadoRuntimeProvider;

import java.util.ArrayList;
import java.util.List;

/** TornadoVM devices by "backend:device" index ("0:0" is the first device of the first backend). */
final class Devices {
    private Devices() {
    }

    static List<String> list() {
        TornadoRuntime runtime = TornadoRuntimeProvider.getTornadoRuntime();
        List<String> lines = new ArrayList<>();
        for (int b = 0; b < runtime.getNumBackends(); b++) {
            TornadoBackend backend = runtime.getBackend(b);
            for (int d = 0; d < backend.getNumDevices(); d++) {
                lines.add("tornado:" + b + ":" + d + "  " + describe(backend.getDevice(d)));
            }
        }
        return lines;
    }

    /** The device an id names; null or empty: TornadoVM's default device. */
    static TornadoDevice find(String id) {
        if (id == null || id.isEmpty()) return TornadoExecutionPlan.getDevice(0, 0);
        String[] parts = id.split(":");
        TornadoRuntime runtime = TornadoRuntimeProvider.getTornadoRuntime();
        try {
            int b = Integer.parseInt(parts[0]);
            int d = parts.length > 1 ? Integer.parseInt(parts[1]) : 0;
            if (parts.length > 2 || b < 0 || b >= runtime.getNumBackends() || d < 0 || d >= runtime.getBackend(b).getNumDevices()) {
                throw new IllegalArgumentException("no TornadoVM device " + id + "; the devices are: " + String.join("; ", list()));
            }
            return TornadoExecutionPlan.getDevice(b, d);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("a TornadoVM device is named backend:device, e.g. tornado:0:0, not '" + id + "'");
        }
    }

    static String describe(TornadoDevice device) {
        return device.getPhysicalDevice().getDeviceName().trim() + " (" + device.getDeviceName() + ", " + device.getDeviceType() + ", "
                + device.getMaxGlobalMemory() / (1 << 20) + " MB)";
    }
}
