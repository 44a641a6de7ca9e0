package dev.specdiff4j.server;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Plain (ar) requests that arrive together share the batch scheduler's passes: each one's text is what it gets alone, and
 * /metrics shows the batch (size, queue, KV-cache use, tokens/s).
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
}
