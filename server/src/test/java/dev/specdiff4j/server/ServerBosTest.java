package dev.specdiff4j.server;

import dev.specdiff4j.engine.api.Generator;
import dev.specdiff4j.engine.api.ModelSpec;
import dev.specdiff4j.engine.testing.Fixtures;
import dev.specdiff4j.engine.testing.TinyModels;
import dev.specdiff4j.json.Json;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
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
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Text prompts get the BOS the tokenizer's files ask for, as llama-server's do: a tiny target whose tokenizer_config.json
 * asks for {@code <|endoftext|>} (id {@link #BOS}) as BOS and whose chat template writes that BOS itself. /v1/completions
 * adds it to a text prompt and not to token ids; /v1/chat/completions keeps the template's one and adds no second;
 * /tokenize adds it only with {@code add_special} (default false, as llama-server).
 */
@SuppressWarnings("unchecked")
class ServerBosTest {
    private static final long BOS = 299; // the trained tiny tokenizer's last id, its one special token
    private static final String TEMPLATE = "<|endoftext|>{% for m in messages %}{{ m.role }}: {{ m.content }}{{ '\\n' }}{% endfor %}"
            + "{% if add_generation_prompt %}{{ 'assistant:' }}{% endif %}";
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static Path dir;
    private static Generator generator;
    private static CompletionServer server;

    @BeforeAll
    static void start() throws IOException {
        dir = Files.createTempDirectory(Files.createDirectories(Path.of("target")), "bos-test");
        Path target = TinyModels.withTokenizer("gpt2-tiny", dir);
        Files.writeString(target.resolve("tokenizer_config.json"), Json.write(Map.of("chat_template", TEMPLATE,
                "add_bos_token", true, "bos_token", "<|endoftext|>", "eos_token", "<|endoftext|>")));
        generator = Generator.open(ModelSpec.of(target).withDiffusionDrafter(Fixtures.folder("mdlm-tiny")).withKernels(null, 1, 0));
        server = CompletionServer.start(generator, ServerFixture.settings());
    }

    @AfterAll
    static void stop() throws IOException {
        server.close();
        generator.close();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }

    private static Map<String, Object> post(String path, String body) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
        HttpResponse<String> r = CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return Json.parseObject(r.body());
    }

    private static List<Object> tokens(String content, boolean addSpecial) throws Exception {
        return (List<Object>) post("/tokenize", "{\"content\": " + Json.write(content) + ", \"add_special\": " + addSpecial + "}").get("tokens");
    }

    private static int promptTokens(Map<String, Object> response) {
        return ((Number) ((Map<String, Object>) response.get("usage")).get("prompt_tokens")).intValue();
    }

    private static String text(Map<String, Object> completion) {
        return (String) ((Map<String, Object>) ((List<Object>) completion.get("choices")).get(0)).get("text");
    }

    @Test
    void tokenizeAddsBosOnlyWithAddSpecial() throws Exception {
        List<Object> plain = (List<Object>) post("/tokenize", "{\"content\": \"The quick\"}").get("tokens");
        assertThat(plain).isNotEmpty().doesNotContain(BOS);
        assertThat(tokens("The quick", true)).first().isEqualTo(BOS);
        assertThat(tokens("The quick", true).subList(1, plain.size() + 1)).isEqualTo(plain);
        assertThat(tokens("", true)).containsExactly(BOS);
        assertThat(tokens("<|endoftext|>The quick", true)).containsExactly(tokens("<|endoftext|>The quick", false).toArray());
    }

    @Test
    void aTextCompletionPromptStartsWithBosAndATokenPromptIsTakenAsItIs() throws Exception {
        String options = ", \"max_tokens\": 6, \"temperature\": 0}";
        Map<String, Object> byText = post("/v1/completions", "{\"prompt\": \"The quick brown fox\"" + options);
        List<Object> withBos = tokens("The quick brown fox", true);
        assertThat(withBos).first().isEqualTo(BOS);
        assertThat(promptTokens(byText)).isEqualTo(withBos.size());
        Map<String, Object> byIds = post("/v1/completions", "{\"prompt\": " + Json.write(withBos) + options);
        assertThat(promptTokens(byIds)).isEqualTo(withBos.size());
        assertThat(text(byIds)).isEqualTo(text(byText));
    }

    @Test
    void aTemplateThatWritesBosGetsNoSecond() throws Exception {
        Map<String, Object> chat = post("/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"The quick\"}],"
                + " \"max_completion_tokens\": 4, \"temperature\": 0}");
        String rendered = "<|endoftext|>user: The quick\nassistant:";
        List<Object> asRendered = tokens(rendered, false);
        assertThat(asRendered).first().isEqualTo(BOS);
        assertThat(asRendered.subList(1, asRendered.size())).doesNotContain(BOS);
        assertThat(promptTokens(chat)).isEqualTo(asRendered.size());
    }
}
