package dev.specdiff4j.bench.cli;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a {@code specdiff4j} command in a new JVM with this one's flags and class path, and returns what it printed on stdout
 * (its progress goes to this stderr). The report measures each part in a JVM of its own: after the demo-pair sweep has run F16,
 * F32 and Q8_0 models in one process, the JIT's profiles of the shared kernels no longer suit the next benchmark (measured:
 * Q8_0 decoding of GPT-2 small at 28 tok/s in the report's JVM against 62 tok/s in a fresh one).
 */
final class FreshJvm {
    private FreshJvm() {
    }

    static String run(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(BenchMain.class.getName());
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int code = p.waitFor();
        if (code != 0) throw new IOException("specdiff4j " + String.join(" ", args) + " failed with exit code " + code);
        // java-llama.cpp announces on stdout where it unpacked its native library
        return out.lines().filter(line -> !line.startsWith("Extracted '")).map(line -> line + "\n").collect(java.util.stream.Collectors.joining());
    }
}
