package dev.specdiff4j.bench;

import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * bin/specdiff4j rebuilds the benchmark harness jar when a source of a module in it is newer than the jar: its list of
 * modules must name every specdiff4j module on the benchmarks' class path, or an edit there runs a stale harness.
 */
class BenchLauncherModulesTest {
    private static final Pattern LIST = Pattern.compile("(?m)^\\s*bench_modules=\\(([^)]*)\\)");
    /** A module's classes in the reactor (module/target/classes) or its installed jar (specdiff4j-module-version.jar). */
    private static final Pattern REACTOR = Pattern.compile("([\\w-]+)[/\\\\]target[/\\\\](?:test-)?classes$");
    private static final Pattern JAR = Pattern.compile("specdiff4j-([a-z-]+?)-\\d[^/\\\\]*\\.jar$");

    @Test
    void theStalenessCheckCoversEveryModuleOfTheHarness() throws Exception {
        Path root = Path.of("").toAbsolutePath().getParent();
        Matcher m = LIST.matcher(Files.readString(root.resolve("bin/specdiff4j")));
        assertThat(m.find()).as("bin/specdiff4j lists bench_modules").isTrue();
        Set<String> listed = new TreeSet<>(Set.of(m.group(1).trim().split("\\s+")));

        Set<String> onClassPath = new TreeSet<>();
        onClassPath.add("benchmarks");
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Matcher reactor = REACTOR.matcher(entry);
            Matcher jar = JAR.matcher(entry);
            String module = reactor.find() ? reactor.group(1) : jar.find() ? jar.group(1) : null;
            if (module != null && Files.isDirectory(root.resolve(module).resolve("src/main"))) onClassPath.add(module);
        }
        assertThat(onClassPath).contains("engine", "cli", "chat");
        assertThat(listed).isEqualTo(onClassPath);
    }
}
