package dev.specdiff4j.spark;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** bin/specdiff4j and the standalone script start Spark with the JVM flags the tests run it with (spark.jvm.flags in spark/pom.xml). */
class SparkLauncherTest {
    @Test
    void theLauncherPassesTheTestedSparkFlags() throws Exception {
        String fromPom = System.getProperty("specdiff4j.spark.jvm.flags");
        assertThat(fromPom).as("surefire passes spark.jvm.flags").isNotBlank().contains("--add-opens=java.base/sun.nio.ch=ALL-UNNAMED");
        List<String> launcherFlags = Arrays.asList(Files.readString(Path.of("conf", "jvm-options")).trim().split("\\s+"));
        assertThat(launcherFlags).containsExactlyElementsOf(Arrays.asList(fromPom.trim().split("\\s+")));
        String launcher = Files.readString(Path.of("..", "bin", "specdiff4j"));
        assertThat(launcher).contains("read -r -a spark_flags < \"$home/spark/conf/jvm-options\" || true", "main=dev.specdiff4j.spark.BatchJob");
    }
}
