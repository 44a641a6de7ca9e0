package dev.specdiff4j.cli;

import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.engine.testing.Fixtures;
import dev.specdiff4j.engine.testing.TinyModels;
import dev.specdiff4j.json.Json;
import dev.specdiff4j.weights.RandomCheckpoints;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code serve} is stateless, so replicas behind a load balancer answer as one server does: two {@code serve}
 * processes behind a round-robin client give the same completions as one, and a replica stopped with SIGTERM drains
 * (its running stream ends with a last event, new requests get 503 with Retry-After) while the other one takes over.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class ServeReplicasTest {
    private static final Pattern SERVING = Pattern.compile("serving \\S+ on http://127\\.0\\.0\\.1:(\\d+) ");
    private static final int LONG_CONTEXT = 8192;

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** One {@code specdiff4j serve} in a JVM of its own, on a free port. */
    private static final class Replica implements AutoCloseable {
        final Process process;
        final int port;
        final List<String> log = new ArrayList<>();
        private final Thread logReader;

        Replica(Path target, String... options) throws IOException, InterruptedException, TimeoutException {
            List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                    "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx512m",
                    "-cp", System.getProperty("java.class.path"), Main.class.getName(), "serve", "--port", "0", "--threads", "1",
                    "--model", target.toString(), "--drafter", Fixtures.folder("mdlm-tiny").toString(),
                    "--ar-drafter", Fixtures.folder("gpt2-tiny-drafter").toString(), "--mode", "ar", "--max-tokens-limit", "8000"));
            command.addAll(List.of(options));
            process = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            BlockingQueue<Integer> ports = new LinkedBlockingQueue<>();
            logReader = Thread.ofPlatform().daemon().start(() -> {
                try (BufferedReader err = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = err.readLine()) != null; ) {
                        synchronized (log) {
                            log.add(line);
                        }
                        Matcher m = SERVING.matcher(line);
                        if (m.find()) ports.add(Integer.parseInt(m.group(1)));
                    }
                } catch (IOException ignored) {
                    // the process ended
                }
            });
            Integer p = ports.poll(90, TimeUnit.SECONDS);
            if (p == null) {
                process.destroyForcibly();
                throw new TimeoutException("the replica did not start serving: " + log());
            }
            port = p;
        }

        URI uri(String path) {
            return URI.create("http://127.0.0.1:" + port + path);
        }

        /** What it printed on stderr until it exited. */
        String logAtExit() throws InterruptedException {
            process.waitFor();
            logReader.join();
            return log();
        }

        String log() {
            synchronized (log) {
                return String.join("\n", log);
            }
        }

        @Override
        public void close() throws InterruptedException {
            process.destroyForcibly();
            process.waitFor();
        }
    }

    /** Requests of every mode, greedy and seeded sampling. */
    private static List<String> requests() {
        List<String> requests = new ArrayList<>();
        String[] modes = {"ar", "sd", "specdiff"};
        for (int i = 0; i < 12; i++) {
            String sampling = i % 2 == 0 ? "\"temperature\": 0" : "\"temperature\": 0.9, \"top_p\": 0.95, \"seed\": " + i;
            requests.add("{\"prompt\": \"Replica request " + i + " says\", \"max_tokens\": " + (6 + i % 7) + ", " + sampling
                    + ", \"specdiff4j\": {\"mode\": \"" + modes[i % 3] + "\", \"gamma\": " + (2 + i % 3) + "}}");
        }
        return requests;
    }

    private HttpResponse<String> post(URI uri, String body) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @SuppressWarnings("unchecked")
    private static String text(HttpResponse<String> r) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        Map<String, Object> body = Json.parseObject(r.body());
        return (String) ((Map<String, Object>) ((List<Object>) body.get("choices")).get(0)).get("text");
    }

    /**
     * A round-robin balancer as small as can be: request i goes to replica i mod n; one that refuses the connection or
     * answers 503 is skipped for the next, as a balancer does after a failed readiness probe.
     */
    private List<String> roundRobin(List<Replica> replicas, List<String> requests, List<String> skipped) throws Exception {
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < requests.size(); i++) {
            HttpResponse<String> answer = null;
            for (int attempt = 0; attempt < replicas.size() && answer == null; attempt++) {
                Replica r = replicas.get((i + attempt) % replicas.size());
                try {
                    HttpResponse<String> a = post(r.uri("/v1/completions"), requests.get(i));
                    if (a.statusCode() == 503) {
                        assertThat(a.headers().firstValue("Retry-After")).as(a.body()).isPresent();
                        skipped.add("503 from :" + r.port);
                    } else {
                        answer = a;
                    }
                } catch (ConnectException | java.net.http.HttpConnectTimeoutException e) {
                    skipped.add("refused by :" + r.port);
                }
            }
            assertThat(answer).as("request " + i + " found no replica").isNotNull();
            texts.add(text(answer));
        }
        return texts;
    }

    @Test
    void twoReplicasBehindARoundRobinAnswerAsOneServerAndASigtermedOneDrains(@TempDir Path dir) throws Exception {
        Path target = TinyModels.withTokenizer("gpt2-tiny", dir);
        // a long context, so that a stream can still be running when its replica is told to stop
        RandomCheckpoints.gpt2(target, new RandomCheckpoints.Gpt2Shape("gpt2-long", 300, LONG_CONTEXT, 128, 2, 2), DType.F32, 7);
        List<String> requests = requests();
        try (Replica a = new Replica(target); Replica b = new Replica(target, "--shutdown-grace", "1")) {
            List<String> alone = new ArrayList<>();
            for (String request : requests) alone.add(text(post(a.uri("/v1/completions"), request)));
            List<String> skipped = new ArrayList<>();
            assertThat(roundRobin(List.of(a, b), requests, skipped)).as("two replicas, round robin").isEqualTo(alone);
            assertThat(skipped).isEmpty();
            for (Replica r : List.of(a, b)) {
                assertThat(client.send(HttpRequest.newBuilder(r.uri("/health/ready")).build(), HttpResponse.BodyHandlers.ofString())
                        .statusCode()).isEqualTo(200);
            }

            // a stream runs on b when b gets SIGTERM; it cannot finish within b's grace of 1 s
            HttpResponse<InputStream> stream = client.send(HttpRequest.newBuilder(b.uri("/v1/completions"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                            "{\"prompt\": \"long\", \"max_tokens\": 7900, \"stream\": true, \"temperature\": 0}")).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            assertThat(stream.statusCode()).isEqualTo(200);
            BufferedReader events = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8));
            assertThat(events.readLine()).startsWith("data: {");
            assertThat(b.process.toHandle().destroy()).isTrue(); // SIGTERM (Process.destroy would also close its stderr here)

            HttpResponse<String> ready;
            do {
                ready = client.send(HttpRequest.newBuilder(b.uri("/health/ready")).build(), HttpResponse.BodyHandlers.ofString());
            } while (ready.statusCode() == 200);
            assertThat(ready.statusCode()).isEqualTo(503);
            assertThat(ready.body()).contains("draining");
            assertThat(ready.headers().firstValue("Retry-After")).isPresent();
            assertThat(client.send(HttpRequest.newBuilder(b.uri("/health/live")).build(), HttpResponse.BodyHandlers.ofString())
                    .statusCode()).as("alive while draining").isEqualTo(200);
            HttpResponse<String> refused = post(b.uri("/v1/completions"), requests.getFirst());
            assertThat(refused.statusCode()).isEqualTo(503);
            assertThat(refused.headers().firstValue("Retry-After")).isPresent();
            assertThat(refused.body()).contains("\"code\":\"shutting_down\"");

            List<String> tail = new ArrayList<>();
            for (String line; (line = events.readLine()) != null; ) if (!line.isEmpty()) tail.add(line);
            assertThat(tail.get(tail.size() - 2)).as("the stream's last event").startsWith("data: {\"error\"").contains("shutting_down");
            assertThat(tail.getLast()).isEqualTo("data: [DONE]");
            assertThat(b.process.waitFor(60, TimeUnit.SECONDS)).as("b exits after its grace period").isTrue();
            assertThat(b.logAtExit()).contains("shutting down: letting running requests finish");

            // with b gone, the balancer sends everything to a, and the answers stay the same
            skipped.clear();
            assertThat(roundRobin(List.of(a, b), requests, skipped)).as("one replica left").isEqualTo(alone);
            assertThat(skipped).hasSize(requests.size() / 2);
        }
    }
}
