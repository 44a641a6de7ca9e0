package dev.specdiff4j.spark;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** bin/specdiff4j starts the batch job with the JVM flags the tests run Spark with (spark.jvm.flags in spark/pom.xml). */
class SparkLauncherTest {
    @Test
    void theLauncherPassesTheTestedSparkFlags() throws Exception {
        String fromPom = System.getProperty("specdiff4j.spark.jvm.flags");
        assertThat(fromPom).as("surefire passes spark.jvm.flags").isNotBlank().contains("--add-opens=java.base/sun.nio.ch=ALL-UNNAMED");
        String launcher = Files.readString(Path.of("..", "bin", "specdiff4j"));
        Matcher m = Pattern.compile("spark_flags=\\(([^)]*)\\)").matcher(launcher);
        assertThat(m.find()).as("bin/specdiff4j defines spark_flags=(...)").isTrue();
        List<String> launcherFlags = Arrays.asList(m.group(1).trim().split("\\s+"));
        assertThat(launcherFlags).containsExactlyElementsOf(Arrays.asList(fromPom.trim().split("\\s+")));
        assertThat(launcher).contains("main=dev.specdiff4j.spark.BatchJob");
    }
}
