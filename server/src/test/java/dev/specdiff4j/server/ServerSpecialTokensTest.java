package dev.specdiff4j.server;

import dev.specdiff4j.engine.api.Generator;
import dev.specdiff4j.engine.api.Mode;
import dev.specdiff4j.engine.api.ModelSpec;
import dev.specdiff4j.engine.io.GgufFile;
import dev.specdiff4j.json.Json;
import dev.specdiff4j.tokenizer.testing.ExternalFixtures;
import dev.specdiff4j.weights.RandomTransformers;
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
 * Special-token text in prompts, as llama-server reads it: /v1/completions tokenizes a text prompt with special-token parsing
 * on (its {@code tokenize_input_prompts(..., add_special = true, parse_special = true)}), so {@code <|eot_id|>} is id 128009,
 * not its characters, and /tokenize does so unless {@code parse_special} is false (its default is true). Random-weight
 * targets carrying llama.cpp's Llama 3 and GPT-2 vocabularies; the expected ids are those vocabularies' own. Needs
 * SPECDIFF4J_LLAMA_VOCABS; skipped without it unless SPECDIFF4J_REQUIRE_FIXTURES=1.
 */
@SuppressWarnings("unchecked")
class ServerSpecialTokensTest {
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static Path dir;
    private static Served llama3;
    private static Served gpt2;

    private record Served(Generator generator, CompletionServer server) {
        static Served of(Path dir, String vocabFile) throws IOException {
            Path vocabPath = ExternalFixtures.folder("SPECDIFF4J_LLAMA_VOCABS", vocabFile).resolve(vocabFile);
            Path model;
            try (GgufFile vocabulary = GgufFile.open(vocabPath)) {
                int ids = ((List<?>) vocabulary.metadata().get("tokenizer.ggml.tokens")).size();
                model = RandomTransformers.of(RandomTransformers.Shape.tiny("llama", ids), 5).writeGguf(dir.resolve(vocabFile), vocabulary);
            }
            Generator generator = Generator.open(ModelSpec.of(model).withKernels(null, 1, 0));
            return new Served(generator, CompletionServer.start(generator, ServerFixture.settings().withDefaults(Mode.AR, 1, 1)));
        }

        void close() {
            server.close();
            generator.close();
        }
    }

    @BeforeAll
    static void start() throws IOException {
        dir = Files.createTempDirectory(Files.createDirectories(Path.of("target")), "special-tokens-test");
        llama3 = Served.of(dir, "ggml-vocab-llama-bpe.gguf");
        gpt2 = Served.of(dir, "ggml-vocab-gpt-2.gguf");
    }

    @AfterAll
    static void stop() throws IOException {
        if (llama3 != null) llama3.close();
        if (gpt2 != null) gpt2.close();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }

    private static Map<String, Object> post(Served served, String path, String body) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + served.server().port() + path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
        HttpResponse<String> r = CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return Json.parseObject(r.body());
    }

    private static List<Object> tokenize(Served served, String content, String options) throws Exception {
        return (List<Object>) post(served, "/tokenize", "{\"content\": " + Json.write(content) + options + "}").get("tokens");
    }

    private static Map<String, Object> complete(Served served, Object prompt) throws Exception {
        return post(served, "/v1/completions", "{\"prompt\": " + Json.write(prompt) + ", \"max_tokens\": 4, \"temperature\": 0, "
                + "\"specdiff4j\": {\"mode\": \"ar\"}}");
    }

    private static int promptTokens(Map<String, Object> response) {
        return ((Number) ((Map<String, Object>) response.get("usage")).get("prompt_tokens")).intValue();
    }

    private static String text(Map<String, Object> completion) {
        return (String) ((Map<String, Object>) ((List<Object>) completion.get("choices")).get(0)).get("text");
    }

    @Test
    void tokenizeReadsSpecialTokenTextAsIdsUnlessParseSpecialIsFalse() throws Exception {
        // Llama 3: <|start_header_id|> 128006, "user" 882, <|end_header_id|> 128007, <|eot_id|> 128009
        String header = "<|start_header_id|>user<|end_header_id|>";
        assertThat(tokenize(llama3, header, "")).containsExactly(128006L, 882L, 128007L);
        assertThat(tokenize(llama3, header, ", \"parse_special\": true")).containsExactly(128006L, 882L, 128007L);
        assertThat(tokenize(llama3, "Hello world<|eot_id|>", "")).containsExactly(9906L, 1917L, 128009L);
        List<Object> asText = tokenize(llama3, header, ", \"parse_special\": false");
        assertThat(asText).hasSizeGreaterThan(3).doesNotContain(128006L, 128007L);
        // GPT-2: "Hello" 15496, <|endoftext|> 50256
        assertThat(tokenize(gpt2, "Hello<|endoftext|>", "")).containsExactly(15496L, 50256L);
        assertThat(tokenize(gpt2, "<|endoftext|>", ", \"parse_special\": false")).hasSizeGreaterThan(1).doesNotContain(50256L);
    }

    @Test
    void aTextCompletionPromptReadsSpecialTokenTextAsIds() throws Exception {
        // Llama 3 adds BOS 128000: [128000, 128006, 882, 128007], the same completion as those ids
        Map<String, Object> byText = complete(llama3, "<|start_header_id|>user<|end_header_id|>");
        assertThat(promptTokens(byText)).isEqualTo(4);
        Map<String, Object> byIds = complete(llama3, List.of(128000, 128006, 882, 128007));
        assertThat(text(byText)).isEqualTo(text(byIds));
        // a prompt that starts with the BOS text gets no second BOS: [128000, 9906, 1917, 128009]
        Map<String, Object> withBos = complete(llama3, "<|begin_of_text|>Hello world<|eot_id|>");
        assertThat(promptTokens(withBos)).isEqualTo(4);
        assertThat(text(withBos)).isEqualTo(text(complete(llama3, List.of(128000, 9906, 1917, 128009))));
        // GPT-2 adds no BOS: <|endoftext|> alone is the one id 50256
        Map<String, Object> endOfText = complete(gpt2, "<|endoftext|>");
        assertThat(promptTokens(endOfText)).isEqualTo(1);
        assertThat(text(endOfText)).isEqualTo(text(complete(gpt2, List.of(50256))));
    }
}
