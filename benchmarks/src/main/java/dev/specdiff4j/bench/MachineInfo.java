package dev.specdiff4j.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** What a result was measured on: CPU, cores, memory, JVM, flags. */
public final class MachineInfo {
    private MachineInfo() {
    }

    public static String markdown(String kernels) {
        String cpu = "unknown";
        try {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse(cpu);
        } catch (IOException ignored) {
            // not Linux
        }
        long memory = ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getTotalMemorySize();
        // the launcher's -Dspecdiff4j.home names a folder of this machine: it says nothing about the measurement
        List<String> flags = java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(f -> !f.startsWith("-Dspecdiff4j.home=")).toList();
        return String.format(Locale.ROOT, "- CPU: %s, %d cores visible to the JVM, %.1f GiB memory%n- JVM: %s %s (%s)%n- JVM flags: `%s`%n- kernels: %s%n",
                cpu, Runtime.getRuntime().availableProcessors(), memory / 1073741824.0, System.getProperty("java.vm.name"),
                Runtime.version(), System.getProperty("java.vendor"), String.join(" ", flags), kernels);
    }
}
