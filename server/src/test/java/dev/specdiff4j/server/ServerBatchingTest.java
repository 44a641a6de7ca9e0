package dev.specdiff4j.server;

import dev.specdiff4j.engine.api.Generator;
import dev.specdiff4j.engine.api.Mode;
import dev.specdiff4j.engine.api.ModelSpec;
import dev.specdiff4j.engine.batch.BatchSettings;
import dev.specdiff4j.engine.testing.TinyModels;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Plain (ar) requests that arrive together share the batch scheduler's passes: each one's text is what it gets alone, and
 * /metrics shows the batch (size, queue, KV-cache use, tokens/s); a request whose KV cache exceeds the whole budget gets a 400.
 */
class ServerBatchingTest {
    private static ServerFixture fx;

    @BeforeAll
    static void start() throws IOException {
        fx = new ServerFixture(ServerFixture.settings().withCapacity(8, 16, Duration.ofSeconds(60)));
    }

    @AfterAll
    static void stop() {
        fx.close();
    }

    private static String request(int i) {
        return "{\"prompt\": \"The quick brown fox " + i + "\", \"max_tokens\": " + (10 + 3 * i)
                + ", \"temperature\": 0, \"specdiff4j\": {\"mode\": \"ar\"}}";
    }

    @Test
    void concurrentPlainRequestsGetTheTextTheyGetAloneAndMetricsShowTheBatch() throws Exception {
        List<String> alone = new ArrayList<>();
        for (int i = 0; i < 8; i++) alone.add(ServerFixture.text(fx.post("/v1/completions", request(i))));
        long stepsBefore = fx.metric("specdiff4j_batch_steps_total");
        assertThat(stepsBefore).isPositive();
        try (ExecutorService clients = Executors.newFixedThreadPool(8)) {
            List<Future<HttpResponse<String>>> answers = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                int n = i;
                answers.add(clients.submit(() -> fx.post("/v1/completions", request(n))));
            }
            for (int i = 0; i < 8; i++) {
                HttpResponse<String> r = answers.get(i).get();
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                assertThat(ServerFixture.text(r)).as("request %d", i).isEqualTo(alone.get(i));
            }
        }
        String metrics = fx.get("/metrics").body();
        assertThat(metrics).contains("specdiff4j_batch_size ").contains("specdiff4j_batch_queued_sequences ")
                .contains("specdiff4j_kv_cache_used_bytes ").contains("specdiff4j_batch_tokens_per_second ");
        assertThat(fx.metric("specdiff4j_kv_cache_budget_bytes")).isPositive();
        assertThat(fx.metric("specdiff4j_kv_cache_used_bytes")).isZero(); // every sequence has left and given its memory back
        assertThat(fx.metric("specdiff4j_batch_steps_total")).isGreaterThan(stepsBefore);
    }

    @Test
    void aRequestWhoseKvCacheCouldNeverFitTheBudgetGetsA400ThatSaysSo() throws Exception {
        Path dir = Files.createTempDirectory(Files.createDirectories(Path.of("target")), "batch-budget-test");
        try {
            Path target = TinyModels.withTokenizer("gpt2-tiny", dir);
            // room for 20 positions of the tiny model (2 layers x 64 wide, keys and values, float32)
            try (Generator generator = Generator.open(ModelSpec.of(target).withKernels(null, 2, 0), new BatchSettings(4, 8, 20 * 2 * 2 * 64 * 4));
                 CompletionServer server = CompletionServer.start(generator, ServerFixture.settings().withDefaults(Mode.AR, 1, 1))) {
                HttpResponse<String> r = fx.client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/completions"))
                        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                                "{\"prompt\": \"The quick\", \"max_tokens\": 40, \"specdiff4j\": {\"mode\": \"ar\"}}")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
                assertThat(r.body()).contains("KV cache").contains("kv_budget_exceeded").contains("max_tokens");
                HttpResponse<String> small = fx.client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/completions"))
                        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                                "{\"prompt\": \"The quick\", \"max_tokens\": 5, \"specdiff4j\": {\"mode\": \"ar\"}}")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(small.statusCode()).as(small.body()).isEqualTo(200);
            }
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
            }
        }
    }
}
