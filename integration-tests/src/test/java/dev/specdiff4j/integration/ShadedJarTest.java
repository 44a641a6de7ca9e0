package dev.specdiff4j.integration;

import dev.specdiff4j.cli.Main;
import dev.specdiff4j.json.Json;
import dev.specdiff4j.tokenizer.testing.ExternalFixtures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.Constructor;
import java.net.URI;
import java.net.URL;
import java.net.URLClassLoader;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The command's jar ({@code cli/target/specdiff4j.jar}) is shaded and then shrunk by ProGuard: classes and members nothing
 * reaches are dropped, so one that only reflection or ServiceLoader reaches would be missing from it and nothing else would
 * notice. So every command path runs through that jar here and must answer exactly what the same command answers in-process
 * from the modules' own jars: {@code -V}, {@code completion}, {@code generate} (plain and {@code --chat}), {@code chat},
 * {@code convert}, {@code inspect}, a bad flag and a corrupt model file, and {@code serve} with {@code /v1/completions} and
 * {@code /v1/chat/completions} (plain and streamed) and {@code /metrics}; the real chat templates of the
 * {@code @huggingface/jinja} oracle must render from the shaded jar alone as they do in the chat module's tests; and the
 * jar must stay under 8,000,000 bytes. Needs the packaged jar: runs through {@code ./mvnw verify}.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ShadedJarTest {
    private static final Pattern SERVING = Pattern.compile("serving \\S+ on http://127\\.0\\.0\\.1:(\\d+) ");
    private static final List<String> CHAT_OPTIONS = List.of("--system", "Be brief.", "--max-tokens", "8", "--threads", "2");

    private static Path jar;

    record Run(int exitCode, String out, String err) {
    }

    @BeforeAll
    static void findTheShadedJar() {
        Path cliJar = Arrays.stream(System.getProperty("java.class.path").split(java.io.File.pathSeparator)).map(Path::of)
                .filter(p -> p.getFileName().toString().startsWith("specdiff4j-cli-") && p.toString().endsWith(".jar"))
                .findFirst().orElse(null);
        assumeTrue(cliJar != null, "the class path holds the cli module's build folder, not its jar: run through ./mvnw verify to check the shaded jar");
        jar = cliJar.resolveSibling("specdiff4j.jar");
        assertThat(jar).as("the shaded jar beside " + cliJar).isRegularFile();
    }

    private static List<String> java(String... args) {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--add-modules", "jdk.incubator.vector", "-Xmx512m", "-jar", jar.toString()));
        command.addAll(List.of(args));
        return command;
    }

    private static Run throughTheJar(String stdin, String... args) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(java(args)).start();
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
        try (var in = p.getOutputStream()) {
            in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        String out = readAll(p.getInputStream());
        return new Run(p.waitFor(), out, err.join());
    }

    private static String readAll(java.io.InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The same command in this JVM, from the modules' jars. */
    private static Run inProcess(String stdin, String... args) {
        java.io.InputStream original = System.in;
        System.setIn(new java.io.ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
        try {
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int code = Main.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
            return new Run(code, out.toString(), err.toString());
        } finally {
            System.setIn(original);
        }
    }

    private static String[] args(String command, List<String> more, String... last) {
        List<String> all = new ArrayList<>(List.of(command));
        all.addAll(CHAT_OPTIONS);
        all.addAll(more);
        all.addAll(List.of(last));
        return all.toArray(String[]::new);
    }

    @Test
    void theJarIsUnderEightMegabytes() throws IOException {
        assertThat(Files.size(jar)).as(jar + " in bytes").isLessThan(8_000_000L);
    }

    @Test
    void theJarHasOneNoticeWithOursAndTheLibrariesNotices() throws IOException {
        try (java.util.jar.JarFile f = new java.util.jar.JarFile(jar.toFile())) {
            assertThat(f.getEntry("META-INF/NOTICE.md")).as("merged into META-INF/NOTICE").isNull();
            assertThat(f.getEntry("META-INF/NOTICE.txt")).as("merged into META-INF/NOTICE").isNull();
            String notice = new String(f.getInputStream(f.getEntry("META-INF/NOTICE")).readAllBytes(), StandardCharsets.UTF_8);
            assertThat(notice).contains("Copyright 2026 the specdiff4j authors").contains("Jackson").contains("Apache Commons Lang")
                    .contains("Jakarta Annotations");
        }
    }

    /** Runs the command through the jar and in-process; both must exit and print the same. */
    private static Run sameThroughTheJar(String... args) throws Exception {
        Run expected = inProcess("", args);
        Run shaded = throughTheJar("", args);
        assertThat(shaded.exitCode()).as(String.join(" ", args) + ": " + shaded.err()).isEqualTo(expected.exitCode());
        assertThat(shaded.out()).as(String.join(" ", args)).isEqualTo(expected.out());
        return shaded;
    }

    @Test
    void versionCompletionAndPlainGenerateRunFromTheShadedJarAsFromTheModules() throws Exception {
        assertThat(sameThroughTheJar("-V").out()).startsWith("specdiff4j ");
        assertThat(sameThroughTheJar("completion").out()).contains("complete").contains("generate");
        assertThat(sameThroughTheJar("generate", "--mode", "specdiff", "--max-tokens", "8", "--threads", "2", "It was the first time that").out())
                .isNotBlank();
        assertThat(sameThroughTheJar("generate", "--mode", "sd", "--max-tokens", "8", "--threads", "2", "It was the first time that").out())
                .isNotBlank();
    }

    @Test
    void errorsAreTheSameOneSentenceFromTheShadedJar() throws Exception {
        Path dir = Files.createDirectories(Path.of("target", "shaded-jar-test"));
        Path corrupt = dir.resolve("corrupt.gguf");
        Files.write(corrupt, "GGUF\u0003\u0000\u0000\u0000 this is no model".getBytes(StandardCharsets.UTF_8));
        for (String[] args : List.of(new String[] {"generate", "--no-such-flag", "x"}, new String[] {"inspect", corrupt.toString()},
                new String[] {"generate", "--model", corrupt.toString(), "--mode", "ar", "--max-tokens", "2", "x"})) {
            Run expected = inProcess("", args);
            Run shaded = throughTheJar("", args);
            assertThat(expected.exitCode()).as(String.join(" ", args)).isNotZero();
            assertThat(shaded.exitCode()).as(String.join(" ", args) + ": " + shaded.err()).isEqualTo(expected.exitCode());
            assertThat(withoutJvmWarnings(shaded.err())).as(String.join(" ", args)).isEqualTo(expected.err());
        }
    }

    /** The JVM's own warning lines on stderr (incubator modules), which the in-process run does not print. */
    private static String withoutJvmWarnings(String err) {
        return err.lines().filter(l -> !l.startsWith("WARNING: Using incubator modules")).map(l -> l + System.lineSeparator())
                .collect(java.util.stream.Collectors.joining());
    }

    @Test
    void convertAndInspectRunFromTheShadedJarAsFromTheModules() throws Exception {
        Path dir = Files.createDirectories(Path.of("target", "shaded-jar-test"));
        Path model = Sources.ROOT.resolve("models/demo/ar-drafter");
        Path fromJar = dir.resolve("from-jar.gguf");
        Path fromModules = dir.resolve("from-modules.gguf");
        Files.deleteIfExists(fromJar);
        Files.deleteIfExists(fromModules);
        Run expected = inProcess("", "convert", model.toString(), fromModules.toString(), "--to", "gguf", "--dtype", "q8_0");
        assertThat(expected.exitCode()).as(expected.err()).isZero();
        Run shaded = throughTheJar("", "convert", model.toString(), fromJar.toString(), "--to", "gguf", "--dtype", "q8_0");
        assertThat(shaded.exitCode()).as(shaded.err()).isZero();
        assertThat(Files.mismatch(fromJar, fromModules)).as("the jar's GGUF against the modules' GGUF").isEqualTo(-1L);
        assertThat(sameThroughTheJar("inspect", fromJar.toString()).out()).contains("runnable");
        assertThat(sameThroughTheJar("inspect", "--json", model.toString()).out()).contains("\"architecture\"");
    }

    @Test
    void generateWithChatRunsFromTheShadedJarAsFromTheModules() throws Exception {
        String[] args = args("generate", List.of("--chat", "--mode", "ar"), "Tell me about the city.");
        Run expected = inProcess("", args);
        assertThat(expected.exitCode()).as(expected.err()).isZero();
        Run shaded = throughTheJar("", args);
        assertThat(shaded.exitCode()).as(shaded.err()).isZero();
        assertThat(shaded.out()).isNotBlank().isEqualTo(expected.out());
    }

    @Test
    void chatRunsFromTheShadedJarAsFromTheModules() throws Exception {
        String stdin = "Hello there.\nWhat did the jury say?\n/exit\n";
        String[] args = args("chat", List.of("--mode", "specdiff"));
        Run expected = inProcess(stdin, args);
        assertThat(expected.exitCode()).as(expected.err()).isZero();
        Run shaded = throughTheJar(stdin, args);
        assertThat(shaded.exitCode()).as(shaded.err()).isZero();
        assertThat(shaded.out()).isNotBlank().isEqualTo(expected.out());
    }

    @Test
    @SuppressWarnings("unchecked")
    void completionsChatCompletionsAndMetricsAreServedFromTheShadedJar() throws Exception {
        String expected = greedyText(inProcess("", args("generate", List.of("--chat", "--mode", "ar"), "Tell me about the city.")));
        String expectedCompletion = greedyText(inProcess("", "generate", "--mode", "ar", "--max-tokens", "8", "--threads", "2", "It was the first time that"));
        Process server = new ProcessBuilder(java("serve", "--port", "0", "--threads", "2")).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            int port = awaitPort(server);
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            String messages = "\"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"}, {\"role\": \"user\", \"content\": \"Tell me about the city.\"}],"
                    + " \"max_tokens\": 8, \"temperature\": 0";
            HttpResponse<String> plain = post(client, port, "/v1/chat/completions", "{" + messages + "}");
            assertThat(plain.statusCode()).as(plain.body()).isEqualTo(200);
            Map<String, Object> choice = (Map<String, Object>) ((List<Object>) Json.parseObject(plain.body()).get("choices")).get(0);
            assertThat(((Map<String, Object>) choice.get("message")).get("content")).isEqualTo(expected);

            HttpResponse<String> streamed = post(client, port, "/v1/chat/completions", "{" + messages + ", \"stream\": true}");
            assertThat(streamed.statusCode()).as(streamed.body()).isEqualTo(200);
            StringBuilder deltas = new StringBuilder();
            List<String> events = streamed.body().lines().filter(l -> l.startsWith("data: ")).map(l -> l.substring(6)).toList();
            assertThat(events).last().isEqualTo("[DONE]");
            for (String event : events.subList(0, events.size() - 1)) {
                Map<String, Object> c = (Map<String, Object>) ((List<Object>) Json.parseObject(event).get("choices")).get(0);
                Object content = ((Map<String, Object>) c.get("delta")).get("content");
                if (content != null) deltas.append(content);
            }
            assertThat(deltas.toString()).isEqualTo(expected);

            String prompt = "\"prompt\": \"It was the first time that\", \"max_tokens\": 8, \"temperature\": 0";
            HttpResponse<String> completion = post(client, port, "/v1/completions", "{" + prompt + "}");
            assertThat(completion.statusCode()).as(completion.body()).isEqualTo(200);
            Map<String, Object> first = (Map<String, Object>) ((List<Object>) Json.parseObject(completion.body()).get("choices")).get(0);
            assertThat(first.get("text")).isEqualTo(expectedCompletion);

            HttpResponse<String> streamedCompletion = post(client, port, "/v1/completions", "{" + prompt + ", \"stream\": true}");
            assertThat(streamedCompletion.statusCode()).as(streamedCompletion.body()).isEqualTo(200);
            List<String> chunks = streamedCompletion.body().lines().filter(l -> l.startsWith("data: ")).map(l -> l.substring(6)).toList();
            assertThat(chunks).last().isEqualTo("[DONE]");
            StringBuilder text = new StringBuilder();
            for (String chunk : chunks.subList(0, chunks.size() - 1)) {
                Object piece = ((Map<String, Object>) ((List<Object>) Json.parseObject(chunk).get("choices")).get(0)).get("text");
                if (piece != null) text.append(piece);
            }
            assertThat(text.toString()).isEqualTo(expectedCompletion);

            HttpResponse<String> metrics = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                    .timeout(Duration.ofSeconds(60)).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.body()).contains("specdiff4j_requests_completed_total 4");
        } finally {
            server.destroyForcibly();
            server.waitFor();
        }
    }

    private static int awaitPort(Process server) throws Exception {
        CompletableFuture<Integer> port = new CompletableFuture<>();
        StringBuilder log = new StringBuilder();
        Thread.ofPlatform().daemon().start(() -> {
            try (BufferedReader err = new BufferedReader(new InputStreamReader(server.getErrorStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = err.readLine()) != null; ) {
                    synchronized (log) {
                        log.append(line).append('\n');
                    }
                    Matcher m = SERVING.matcher(line);
                    if (m.find()) port.complete(Integer.parseInt(m.group(1)));
                }
            } catch (IOException ignored) {
                // the process ended
            }
            port.completeExceptionally(new IllegalStateException("serve exited before serving"));
        });
        try {
            return port.get(90, TimeUnit.SECONDS);
        } catch (Exception e) {
            synchronized (log) {
                throw new AssertionError("serve from the shaded jar did not start: " + log, e);
            }
        }
    }

    /** A greedy generation's text: what the command printed, without its last line break. */
    private static String greedyText(Run run) {
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).endsWith(System.lineSeparator());
        return run.out().substring(0, run.out().length() - System.lineSeparator().length());
    }

    private static HttpResponse<String> post(HttpClient client, int port, String path, String body) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * The oracle's cases (see the chat module's ChatTemplateOracleTest), rendered by the shaded jar's classes alone: a class
     * loader that sees that jar and the JDK, nothing of this class path.
     */
    @Test
    void theOracleTemplatesRenderFromTheShadedJarAlone() throws Exception {
        Path folder = ExternalFixtures.folder("SPECDIFF4J_CHAT_TEMPLATES", "qwen3.json");
        try (URLClassLoader shaded = new URLClassLoader(new URL[] {jar.toUri().toURL()}, ClassLoader.getPlatformClassLoader())) {
            Class<?> templateClass = shaded.loadClass("dev.specdiff4j.chat.ChatTemplate");
            assertThat(templateClass.getClassLoader()).isSameAs(shaded);
            Constructor<?> newTemplate = templateClass.getConstructor(String.class, String.class, String.class, String.class);
            Constructor<?> newMessage = shaded.loadClass("dev.specdiff4j.chat.ChatMessage").getConstructor(String.class, String.class);
            var render = templateClass.getMethod("render", List.class, boolean.class, Map.class);
            Thread thread = Thread.currentThread();
            ClassLoader context = thread.getContextClassLoader();
            thread.setContextClassLoader(shaded);
            int rendered = 0;
            try {
                for (String model : List.of("llama3", "llama3_1", "qwen3")) {
                    Map<String, Object> file = Json.parseObject(Files.readString(folder.resolve(model + ".json"), StandardCharsets.UTF_8));
                    Object template = newTemplate.newInstance(file.get("template"), file.get("bos_token"), file.get("eos_token"), model);
                    for (Object o : (List<?>) file.get("cases")) {
                        Map<?, ?> c = (Map<?, ?>) o;
                        List<Object> messages = new ArrayList<>();
                        for (Object m : (List<?>) c.get("messages")) {
                            Map<?, ?> message = (Map<?, ?>) m;
                            messages.add(newMessage.newInstance(message.get("role"), message.get("content")));
                        }
                        assertThat(render.invoke(template, messages, c.get("add_generation_prompt"), c.get("extra")))
                                .as(model + ": " + c.get("name")).isEqualTo(c.get("expected"));
                        rendered++;
                    }
                }
            } finally {
                thread.setContextClassLoader(context);
            }
            assertThat(rendered).isGreaterThanOrEqualTo(24);
        }
    }
}
