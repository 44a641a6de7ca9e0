package dev.specdiff4j.server;

import dev.specdiff4j.engine.api.Generator;
import dev.specdiff4j.engine.api.Mode;
import dev.specdiff4j.engine.api.ModelSpec;
import dev.specdiff4j.engine.testing.TinyModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Liveness and readiness for a load balancer: a server listens (alive) while its models load and says it is not
 * ready until they are; every 503 tells the client when to retry.
 */
class ServerReadinessTest {
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private HttpResponse<String> get(CompletionServer server, String path) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> complete(CompletionServer server) throws IOException, InterruptedException {
        return post(server, "/v1/completions", "{\"prompt\": \"The\", \"max_tokens\": 3, \"temperature\": 0}");
    }

    private HttpResponse<String> post(CompletionServer server, String path, String json) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static final String CHAT = "{\"messages\": [{\"role\": \"user\", \"content\": \"Hello\"}], \"max_tokens\": 3}";

    private static void assertRetryLater(HttpResponse<String> r, String status) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
        assertThat(r.headers().firstValue("Retry-After")).as("Retry-After").hasValue(CompletionServer.RETRY_AFTER_SECONDS);
        assertThat(r.body()).contains(status);
    }

    @Test
    void aServerIsAliveButNotReadyWhileItsModelsLoad(@TempDir Path dir) throws Exception {
        Path target = TinyModels.withTokenizer("gpt2-tiny", dir);
        CountDownLatch mayLoad = new CountDownLatch(1);
        try (CompletionServer server = CompletionServer.startLoading(ServerFixture.settings().withDefaults(Mode.AR, 1, 1),
                () -> {
                    mayLoad.await();
                    return Generator.open(ModelSpec.of(target).withKernels(null, 2, 0));
                })) {
            HttpResponse<String> live = get(server, "/health/live");
            assertThat(live.statusCode()).isEqualTo(200);
            assertThat(live.body()).contains("\"status\":\"ok\"").contains("\"ready\":false");
            assertThat(get(server, "/health").statusCode()).isEqualTo(200);
            assertRetryLater(get(server, "/health/ready"), "\"status\":\"loading\"");
            assertRetryLater(complete(server), "\"code\":\"loading\"");
            assertRetryLater(get(server, "/v1/models"), "\"code\":\"loading\"");
            assertRetryLater(get(server, "/v1/models/tiny"), "\"code\":\"loading\"");
            assertRetryLater(post(server, "/v1/chat/completions", CHAT), "\"code\":\"loading\"");
            assertRetryLater(post(server, "/tokenize", "{\"content\": \"The\"}"), "\"code\":\"loading\"");
            assertRetryLater(post(server, "/detokenize", "{\"tokens\": [1]}"), "\"code\":\"loading\"");

            mayLoad.countDown();
            server.awaitLoaded();
            HttpResponse<String> ready = get(server, "/health/ready");
            assertThat(ready.statusCode()).isEqualTo(200);
            assertThat(ready.body()).isEqualTo("{\"status\":\"ready\"}");
            assertThat(get(server, "/health/live").body()).contains("\"ready\":true");
            assertThat(complete(server).statusCode()).isEqualTo(200);
            HttpResponse<String> tokens = post(server, "/tokenize", "{\"content\": \"The\"}");
            assertThat(tokens.statusCode()).as(tokens.body()).isEqualTo(200);
            assertThat(tokens.body()).startsWith("{\"tokens\":[");
            // the chat template is looked for in the models loaded late too: these have none, and chat says so
            HttpResponse<String> chat = post(server, "/v1/chat/completions", CHAT);
            assertThat(chat.statusCode()).as(chat.body()).isEqualTo(400);
            assertThat(chat.body()).contains("\"code\":\"no_chat_template\"").contains("has no chat template");
        }
    }

    @Test
    void modelsThatCannotBeLoadedAreReportedAndTheServerNeverTurnsReady(@TempDir Path dir) throws Exception {
        try (CompletionServer server = CompletionServer.startLoading(ServerFixture.settings(), () -> {
            throw new IOException("no model here");
        })) {
            assertThatThrownBy(server::awaitLoaded).isInstanceOf(IOException.class).hasMessage("no model here");
            assertRetryLater(get(server, "/health/ready"), "\"status\":\"failed\"");
            assertThat(get(server, "/health/live").statusCode()).isEqualTo(200);
        }
        // a default mode the loaded models cannot serve is refused once they are loaded, with the sentence start() gives
        Path target = TinyModels.withTokenizer("gpt2-tiny", dir);
        try (CompletionServer server = CompletionServer.startLoading(ServerFixture.settings(),
                () -> Generator.open(ModelSpec.of(target).withKernels(null, 2, 0)))) {
            assertThatThrownBy(server::awaitLoaded).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("the default mode specdiff needs a diffusion drafter, and none is loaded");
        }
    }
}
