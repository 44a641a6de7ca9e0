package dev.specdiff4j.server;

import dev.specdiff4j.tokenizer.testing.ExternalFixtures;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A load test with wrk (Debian's package; .ci/run installs it) on loopback, bounded in time: four
 * connections posting completions for 8 seconds, within the server's capacity, so every answer must be
 * a 200; the server must still be healthy afterwards. The figures wrk prints go to the test output.
 */
class WrkLoadTest {
    @Test
    void wrkAgainstTheServer() throws Exception {
        Path wrk = ExternalFixtures.folder("SPECDIFF4J_WRK_DIR", "wrk").resolve("wrk");
        try (ServerFixture fx = new ServerFixture(ServerFixture.settings().withCapacity(2, 16, Duration.ofSeconds(60)))) {
            Path script = Files.createTempFile(Files.createDirectories(Path.of("target")), "completion", ".lua");
            try {
            Files.writeString(script, """
                    wrk.method = "POST"
                    wrk.headers["Content-Type"] = "application/json"
                    wrk.body = '{"prompt": "The quick brown fox", "max_tokens": 8, "temperature": 0}'
                    """, StandardCharsets.UTF_8);
            Process p = new ProcessBuilder(wrk.toString(), "-t2", "-c4", "-d8s", "--timeout", "30s", "--latency", "-s", script.toString(),
                    fx.uri("/v1/completions").toString()).redirectErrorStream(true).start();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("wrk finished").isTrue();
            String report = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            System.out.println(report);
            assertThat(p.exitValue()).isZero();
            assertThat(report).contains("Requests/sec").doesNotContain("Non-2xx").doesNotContain("Socket errors");
            assertThat(fx.get("/health").statusCode()).isEqualTo(200);
            assertThat(fx.get("/metrics").body()).containsPattern("specdiff4j_requests_completed_total [1-9]");
            } finally {
                Files.delete(script);
            }
        }
    }
}
