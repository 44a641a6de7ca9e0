package dev.specdiff4j.server;

import dev.specdiff4j.engine.api.Generator;
import dev.specdiff4j.engine.api.Mode;
import dev.specdiff4j.engine.api.ModelSpec;
import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.engine.testing.Fixtures;
import dev.specdiff4j.engine.testing.TinyModels;
import dev.specdiff4j.json.Json;
import dev.specdiff4j.weights.RandomCheckpoints;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A server on a free loopback port around random-weight fixtures: the tiny ones (GPT-2 target with a
 * 64-token context, MDLM and GPT-2 drafters), or a target alone with a long context, whose generations
 * outlast any client's hang-up. Its files live under target/ and are deleted on close.
 */
final class ServerFixture implements AutoCloseable {
    /** Tokens the long-context target can generate in one request. */
    static final int LONG_CONTEXT = 8192;

    final Generator generator;
    final CompletionServer server;
    final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final Path dir;

    ServerFixture(ServerSettings settings) throws IOException {
        this(settings, false);
    }

    private ServerFixture(ServerSettings settings, boolean longContext) throws IOException {
        dir = Files.createTempDirectory(Files.createDirectories(Path.of("target")), "server-test");
        try {
            Path target = TinyModels.withTokenizer("gpt2-tiny", dir);
            if (longContext) {
                RandomCheckpoints.gpt2(target, new RandomCheckpoints.Gpt2Shape("gpt2-long", 300, LONG_CONTEXT, 128, 2, 2), DType.F32, 7);
                generator = Generator.open(ModelSpec.of(target).withKernels(null, 2, 0));
            } else {
                generator = Generator.open(ModelSpec.of(target).withDiffusionDrafter(Fixtures.folder("mdlm-tiny"))
                        .withArDrafter(Fixtures.folder("gpt2-tiny-drafter")).withKernels(null, 2, 0));
            }
            server = CompletionServer.start(generator, settings);
        } catch (IOException | RuntimeException e) {
            deleteDir();
            throw e;
        }
    }

    /** The long-context target alone, in mode ar, accepting max_tokens up to almost its whole context. */
    static ServerFixture longContext(ServerSettings settings) throws IOException {
        return new ServerFixture(settings.withDefaults(Mode.AR, 1, 1).withLimits(settings.maxBodyBytes(), LONG_CONTEXT - 64,
                settings.requestTimeout()), true);
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

    /** A counter or gauge from /metrics. */
    long metric(String name) throws IOException, InterruptedException {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + " (\\S+)$").matcher(get("/metrics").body());
        if (!m.find()) throw new AssertionError("no metric " + name);
        return (long) Double.parseDouble(m.group(1));
    }

    /** Polls /health until that many generations run (a state the server reaches, not a time). */
    void awaitRunning(int running) throws IOException, InterruptedException {
        while (!get("/health").body().contains("\"running\":" + running)) Thread.sleep(10);
    }

    /** The text of a non-streamed completion. */
    @SuppressWarnings("unchecked")
    static String text(HttpResponse<String> r) {
        Map<String, Object> body = Json.parseObject(r.body());
        return (String) ((Map<String, Object>) ((List<Object>) body.get("choices")).get(0)).get("text");
    }

    @Override
    public void close() {
        try {
            server.close();
            generator.close();
        } finally {
            deleteDir();
        }
    }

    private void deleteDir() {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
