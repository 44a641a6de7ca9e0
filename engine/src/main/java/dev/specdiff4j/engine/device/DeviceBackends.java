package dev.specdiff4j.engine.device;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.stream.Collectors;

/** Finds device backends by name. */
public final class DeviceBackends {
    private DeviceBackends() {
    }

    public static List<DeviceBackend> all() {
        List<DeviceBackend> list = new ArrayList<>();
        ServiceLoader.load(DeviceBackend.class).forEach(list::add);
        return list;
    }

    /** The backend of that name, usable here, or a clear error saying what is missing. */
    public static DeviceBackend find(String name) {
        List<DeviceBackend> all = all();
        for (DeviceBackend b : all) {
            if (b.name().equals(name)) {
                String why = b.unavailableReason();
                if (why != null) throw new IllegalStateException("the " + name + " backend is not usable here: " + why);
                return b;
            }
        }
        throw new IllegalStateException("no '" + name + "' device backend is on the classpath (found: "
                + (all.isEmpty() ? "none" : all.stream().map(DeviceBackend::name).collect(Collectors.joining(", ")))
                + "); the TornadoVM backend needs a build with TORNADOVM_HOME set and the JVM started with TornadoVM's argfile");
    }

    /**
     * Splits a device setting: "cpu" gives null; "tornado" or "tornado:1:0" give the backend name and the
     * device id after the first colon (null for the default device).
     */
    public static String[] parse(String setting) {
        if (setting == null || setting.equals("cpu")) return null;
        int colon = setting.indexOf(':');
        return colon < 0 ? new String[] {setting, null} : new String[] {setting.substring(0, colon), setting.substring(colon + 1)};
    }
}
