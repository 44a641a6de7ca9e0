package dev.specdiff4j.integration;

import org.junit.jupiter.api.Test;

import java.lang.module.Configuration;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The jars name themselves as modules (Automatic-Module-Name), carry the licence, and resolve together on a module path
 * (no package split between them). Needs the packaged jars, which the class path holds when the build runs through
 * {@code package} ({@code ./mvnw verify}).
 */
class ModuleNamesTest {
    private static final Map<String, String> NAMES = Map.of(
            "specdiff4j-tokenizer", "dev.specdiff4j.tokenizer",
            "specdiff4j-engine", "dev.specdiff4j.engine",
            "specdiff4j-weights-tools", "dev.specdiff4j.weights",
            "specdiff4j-chat", "dev.specdiff4j.chat",
            "specdiff4j-server", "dev.specdiff4j.server",
            "specdiff4j-langchain4j", "dev.specdiff4j.langchain4j",
            "specdiff4j-tornado-kernels", "dev.specdiff4j.tornado");

    @Test
    void theJarsAreNamedModulesWithTheLicenceThatResolveTogether() throws Exception {
        String version = System.getProperty("specdiff4j.version");
        // the main jars only: a test-jar dependency (specdiff4j-tokenizer-VERSION-tests.jar) is on the class path too
        List<Path> jars = Arrays.stream(System.getProperty("java.class.path").split(java.io.File.pathSeparator)).map(Path::of)
                .filter(p -> NAMES.keySet().stream().anyMatch(n -> p.getFileName().toString().equals(n + "-" + version + ".jar")))
                .filter(Files::isRegularFile).toList();
        assumeTrue(jars.size() == NAMES.size(), "the class path holds build folders, not jars: run through ./mvnw verify to check the jars");
        for (Path jar : jars) {
            String artifact = NAMES.keySet().stream().filter(n -> jar.getFileName().toString().equals(n + "-" + version + ".jar")).findFirst().orElseThrow();
            try (JarFile f = new JarFile(jar.toFile())) {
                assertThat(f.getManifest().getMainAttributes().getValue("Automatic-Module-Name")).as(jar.toString()).isEqualTo(NAMES.get(artifact));
                assertThat(f.getEntry("META-INF/LICENSE")).as(jar + " holds the licence").isNotNull();
                assertThat(f.getEntry("META-INF/NOTICE")).as(jar + " holds the notice").isNotNull();
            }
        }
        ModuleFinder finder = ModuleFinder.of(jars.toArray(Path[]::new));
        assertThat(finder.findAll().stream().map(r -> r.descriptor().name()).collect(Collectors.toSet()))
                .containsExactlyInAnyOrderElementsOf(NAMES.values());
        Configuration resolved = ModuleLayer.boot().configuration().resolve(finder, ModuleFinder.of(), NAMES.values());
        assertThat(resolved.modules()).hasSize(NAMES.size());
        for (ModuleReference r : finder.findAll()) assertThat(r.descriptor().isAutomatic()).isTrue();
    }
}
