package dev.specdiff4j.server;

import dev.specdiff4j.engine.api.Generator;
import dev.specdiff4j.engine.api.Mode;
import dev.specdiff4j.engine.api.ModelSpec;
import dev.specdiff4j.engine.testing.Fixtures;
import dev.specdiff4j.engine.testing.TinyModels;
import dev.specdiff4j.json.Json;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/** A server on a free loopback port around the tiny random-weight fixtures (GPT-2 target, MDLM and GPT-2 drafters). */
final class ServerFixture implements AutoCloseable {
    final Generator generator;
    final CompletionServer server;
    final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    ServerFixture(ServerSettings settings) throws IOException {
        Path dir = Files.createTempDirectory("server-test");
        Path target = TinyModels.withTokenizer("gpt2-tiny", dir);
        generator = Generator.open(ModelSpec.of(target).withDiffusionDrafter(Fixtures.folder("mdlm-tiny"))
                .withArDrafter(Fixtures.folder("gpt2-tiny-drafter")).withKernels(null, 2, 0));
        server = CompletionServer.start(generator, settings);
    }

    static ServerSettings settings() {
        return ServerSettings.defaults("tiny").withAddress("127.0.0.1", 0).withDefaults(Mode.SPECDIFF, 4, 2);
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    HttpResponse<String> post(String path, String body) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The text of a non-streamed completion. */
    @SuppressWarnings("unchecked")
    static String text(HttpResponse<String> r) {
        Map<String, Object> body = Json.parseObject(r.body());
        return (String) ((Map<String, Object>) ((java.util.List<Object>) body.get("choices")).get(0)).get("text");
    }

    @Override
    public void close() {
        server.close();
        generator.close();
    }
}
