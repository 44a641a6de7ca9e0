package dev.specdiff4j.integration;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An application that cannot pass --add-modules jdk.incubator.vector (a plain java -cp, an app server) still runs the
 * engine with ModelSpec.withKernels("reference", ...): nothing loads the Vector API unless the vector kernels are chosen,
 * and asking for the automatic choice says what is missing instead of failing with a NoClassDefFoundError.
 */
class ReferenceKernelsWithoutVectorModuleTest {
    @Test
    void theReferenceKernelsRunInAJvmWithoutTheVectorModule() throws Exception {
        Path target = Sources.ROOT.resolve("models/demo/target");
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = List.of(java, "-Xmx512m", "-cp", System.getProperty("java.class.path"),
                ReferenceKernelsMain.class.getName(), target.toString());
        assertThat(command).noneMatch(arg -> arg.contains("jdk.incubator.vector"));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();

        assertThat(out).contains("vector module: absent");
        String expected = Arrays.stream(ReferenceKernelsMain.generate(target)).mapToObj(Integer::toString).collect(Collectors.joining(","));
        assertThat(out).contains("tokens: " + expected + "\n");
        assertThat(out).contains("auto: no fast kernels are available (vector: the JVM was started without --add-modules jdk.incubator.vector");
    }
}
