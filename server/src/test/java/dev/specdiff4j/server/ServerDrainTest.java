package dev.specdiff4j.server;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A graceful shutdown: new requests get 503 and readiness fails while running ones go on; those still running at
 * the end of the grace period end with a last event instead of being cut off.
 */
class ServerDrainTest {
    private static String streamRequest(int maxTokens) {
        return "{\"prompt\": \"The quick\", \"max_tokens\": " + maxTokens + ", \"temperature\": 0, \"stream\": true}";
    }

    private static BufferedReader startStream(ServerFixture fx, int maxTokens) throws Exception {
        HttpResponse<InputStream> r = fx.client.send(HttpRequest.newBuilder(fx.uri("/v1/completions")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(streamRequest(maxTokens))).build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(r.statusCode()).isEqualTo(200);
        BufferedReader events = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8));
        assertThat(events.readLine()).as("the first event: the stream is running").startsWith("data: {");
        return events;
    }

    private static List<String> rest(BufferedReader events) throws Exception {
        List<String> data = new ArrayList<>();
        for (String line; (line = events.readLine()) != null; ) if (!line.isEmpty()) data.add(line);
        return data;
    }

    private static CompletableFuture<Boolean> drainInBackground(ServerFixture fx, Duration grace) throws Exception {
        CompletableFuture<Boolean> drained = new CompletableFuture<>();
        Thread.ofPlatform().start(() -> {
            try {
                drained.complete(fx.server.drain(grace));
            } catch (Throwable t) {
                drained.completeExceptionally(t);
            }
        });
        while (!fx.server.draining()) Thread.onSpinWait();
        return drained;
    }

    @Test
    void aStreamStillRunningAtTheEndOfTheGracePeriodEndsWithAShutdownEventAndDone() throws Exception {
        try (ServerFixture fx = ServerFixture.longContext(ServerFixture.settings())) {
            BufferedReader events = startStream(fx, ServerFixture.LONG_CONTEXT - 100);
            CompletableFuture<Boolean> drained = drainInBackground(fx, Duration.ofMillis(300));

            HttpResponse<String> late = fx.post("/v1/completions", "{\"prompt\": \"late\", \"max_tokens\": 2}");
            assertThat(late.statusCode()).isEqualTo(503);
            assertThat(late.body()).contains("\"code\":\"shutting_down\"");
            assertThat(late.headers().firstValue("Retry-After")).as("a client may retry on another replica").hasValue("1");
            HttpResponse<String> ready = fx.get("/health/ready");
            assertThat(ready.statusCode()).isEqualTo(503);
            assertThat(ready.headers().firstValue("Retry-After")).hasValue("1");
            assertThat(ready.body()).contains("draining");
            assertThat(fx.get("/health").statusCode()).as("still alive while draining").isEqualTo(200);

            List<String> tail = rest(events);
            assertThat(tail).hasSizeGreaterThanOrEqualTo(2);
            assertThat(tail.get(tail.size() - 2)).startsWith("data: {\"error\"").contains("shutting_down");
            assertThat(tail.getLast()).isEqualTo("data: [DONE]");
            assertThat(drained.get(1, TimeUnit.MINUTES)).as("drain reports requests it had to stop").isFalse();
        }
    }

    @Test
    void requestsThatFinishWithinTheGracePeriodAreAnsweredInFull() throws Exception {
        try (ServerFixture fx = ServerFixture.longContext(ServerFixture.settings())) {
            BufferedReader events = startStream(fx, 40);
            CompletableFuture<Boolean> drained = drainInBackground(fx, Duration.ofMinutes(5));
            List<String> tail = rest(events);
            assertThat(tail.get(tail.size() - 2)).contains("\"finish_reason\":\"length\"");
            assertThat(tail.getLast()).isEqualTo("data: [DONE]");
            assertThat(drained.get(1, TimeUnit.MINUTES)).isTrue();
        }
    }

    @Test
    void closingTheGeneratorUnderRunningRequestsAnswersShuttingDownInsteadOfAServerError() throws Exception {
        try (ServerFixture fx = ServerFixture.longContext(ServerFixture.settings())) {
            BufferedReader events = startStream(fx, ServerFixture.LONG_CONTEXT - 100);
            CompletableFuture<HttpResponse<String>> plain = fx.client.sendAsync(HttpRequest.newBuilder(fx.uri("/v1/completions"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\": \"The\", \"max_tokens\": " + (ServerFixture.LONG_CONTEXT - 100) + "}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            while (fx.metric("specdiff4j_running_generations") < 2) Thread.onSpinWait();

            fx.generator.close(); // the embedding application's own close, under both requests

            HttpResponse<String> answer = plain.get(1, TimeUnit.MINUTES);
            assertThat(answer.statusCode()).isEqualTo(503);
            assertThat(answer.body()).contains("\"code\":\"shutting_down\"").doesNotContain("Exception");
            List<String> tail = rest(events);
            assertThat(tail.get(tail.size() - 2)).startsWith("data: {\"error\"").contains("shutting_down");
            assertThat(tail.getLast()).isEqualTo("data: [DONE]");
            assertThat(fx.metric("specdiff4j_requests_failed_total")).isZero();
        }
    }
}
