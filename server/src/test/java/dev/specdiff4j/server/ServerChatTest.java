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
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * /v1/chat/completions through the model's chat template (a tiny random-weight target with a template in its
 * tokenizer_config.json), log-probabilities on both endpoints, /tokenize, /detokenize, /v1/models/{id},
 * the alias, unknown fields, the API key on the new routes, and CORS.
 */
@SuppressWarnings("unchecked")
class ServerChatTest {
    /** A plain template whose replies end at a newline (the reply end the server stops at). */
    static final String TEMPLATE = "{% for m in messages %}{{ m.role }}: {{ m.content }}{{ '\\n' }}{% endfor %}"
            + "{% if add_generation_prompt %}{{ 'assistant:' }}{% endif %}";
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static Path dir;
    private static Generator generator;
    private static CompletionServer server;

    @BeforeAll
    static void start() throws IOException {
        dir = Files.createTempDirectory(Files.createDirectories(Path.of("target")), "chat-test");
        Path target = TinyModels.withTokenizer("gpt2-tiny", dir);
        Files.writeString(target.resolve("tokenizer_config.json"), Json.write(Map.of("chat_template", TEMPLATE, "eos_token", "<|endoftext|>")));
        generator = Generator.open(ModelSpec.of(target).withDiffusionDrafter(Fixtures.folder("mdlm-tiny")).withKernels(null, 2, 0));
        server = CompletionServer.start(generator, ServerFixture.settings().withModelName("team/tiny-chat")
                .withAccess(new ServerSettings.Access(null, Set.of(), Set.of("https://app.example.org"))));
    }

    @AfterAll
    static void stop() throws IOException {
        server.close();
        generator.close();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }

    private static HttpResponse<String> post(String path, String body, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) b.headers(headers);
        return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static Map<String, Object> json(HttpResponse<String> r) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return Json.parseObject(r.body());
    }

    private static Map<String, Object> choice(Map<String, Object> body) {
        return (Map<String, Object>) ((List<Object>) body.get("choices")).get(0);
    }

    /** The data lines of a server-sent-event stream, up to and including [DONE]. */
    private static List<String> events(String body) {
        List<String> events = new ArrayList<>();
        for (String line : body.split("\n")) {
            if (line.isEmpty()) continue;
            assertThat(line).startsWith("data: ");
            events.add(line.substring(6));
        }
        assertThat(events).last().isEqualTo("[DONE]");
        return events.subList(0, events.size() - 1);
    }

    private static final String CONVERSATION = "[{\"role\": \"system\", \"content\": \"Be brief.\"}, {\"role\": \"user\", \"content\": \"The quick brown\"},"
            + " {\"role\": \"assistant\", \"content\": \"fox\"}, {\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": \"jumps \"},"
            + " {\"type\": \"text\", \"text\": \"over\"}]}]";
    private static final String RENDERED = "system: Be brief.\nuser: The quick brown\nassistant: fox\nuser: jumps over\nassistant:";

    @Test
    void aChatIsTheCompletionOfTheRenderedConversationStoppedAtTheReplyEnd() throws Exception {
        Map<String, Object> chat = json(post("/v1/chat/completions", "{\"model\": \"whatever\", \"messages\": " + CONVERSATION
                + ", \"max_completion_tokens\": 12, \"temperature\": 0}"));
        assertThat(chat.get("object")).isEqualTo("chat.completion");
        assertThat(chat.get("model")).isEqualTo("team/tiny-chat");
        assertThat((String) chat.get("id")).startsWith("chatcmpl-");
        Map<String, Object> message = (Map<String, Object>) choice(chat).get("message");
        assertThat(message.get("role")).isEqualTo("assistant");

        Map<String, Object> tokens = json(post("/tokenize", "{\"content\": " + Json.write(RENDERED) + "}"));
        int promptTokens = ((List<Object>) tokens.get("tokens")).size();
        assertThat(((Number) ((Map<String, Object>) chat.get("usage")).get("prompt_tokens")).intValue()).isEqualTo(promptTokens);

        Map<String, Object> completion = json(post("/v1/completions", "{\"prompt\": " + Json.write(tokens.get("tokens"))
                + ", \"max_tokens\": 12, \"temperature\": 0, \"stop\": \"\\n\"}"));
        assertThat(message.get("content")).isEqualTo(choice(completion).get("text"));
        assertThat(choice(chat).get("finish_reason")).isEqualTo(choice(completion).get("finish_reason")).isIn("stop", "length");
        assertThat(chat.get("usage")).isEqualTo(completion.get("usage"));
    }

    @Test
    void streamedChatSendsTheRoleThenDeltasThenTheFinishAndUsage() throws Exception {
        String request = "{\"messages\": " + CONVERSATION + ", \"max_tokens\": 10, \"temperature\": 0}";
        String whole = (String) ((Map<String, Object>) choice(json(post("/v1/chat/completions", request))).get("message")).get("content");
        HttpResponse<String> r = post("/v1/chat/completions", request.replace("{\"messages\"",
                "{\"stream\": true, \"stream_options\": {\"include_usage\": true}, \"messages\""));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
        List<String> events = events(r.body());
        Map<String, Object> first = Json.parseObject(events.get(0));
        assertThat(first.get("object")).isEqualTo("chat.completion.chunk");
        assertThat(((Map<String, Object>) choice(first).get("delta")).get("role")).isEqualTo("assistant");
        StringBuilder text = new StringBuilder();
        List<Object> finishes = new ArrayList<>();
        for (String e : events.subList(0, events.size() - 1)) {
            Map<String, Object> c = choice(Json.parseObject(e));
            Object content = ((Map<String, Object>) c.get("delta")).get("content");
            if (content != null) text.append((String) content);
            if (c.get("finish_reason") != null) finishes.add(c.get("finish_reason"));
        }
        assertThat(text.toString()).isEqualTo(whole);
        assertThat(finishes).hasSize(1);
        Map<String, Object> usage = Json.parseObject(events.getLast());
        assertThat((List<Object>) usage.get("choices")).isEmpty();
        assertThat(((Map<String, Object>) usage.get("usage")).get("completion_tokens")).isNotNull();

        List<String> withoutUsage = events(post("/v1/chat/completions", request.replace("{\"messages\"", "{\"stream\": true, \"messages\"")).body());
        assertThat(withoutUsage).noneMatch(e -> e.contains("\"usage\""));
    }

    @Test
    void aChatStopsAtTheRequestsStopStringsAsWellAsAtTheReplyEnd() throws Exception {
        String request = "{\"messages\": [{\"role\": \"user\", \"content\": \"The quick brown\"}], \"max_tokens\": 16, \"temperature\": 0}";
        String whole = (String) ((Map<String, Object>) choice(json(post("/v1/chat/completions", request))).get("message")).get("content");
        assertThat(whole).as("the unstopped reply must be long enough to cut").hasSizeGreaterThanOrEqualTo(3);
        String stop = whole.substring(whole.length() / 2, whole.length() / 2 + 1);
        String cut = whole.substring(0, whole.indexOf(stop));
        for (String stopField : List.of(Json.write(stop), "[\"\\u0000never\", " + Json.write(stop) + "]")) {
            String stopped = request.replace("\"temperature\": 0}", "\"temperature\": 0, \"stop\": " + stopField + "}");
            Map<String, Object> c = choice(json(post("/v1/chat/completions", stopped)));
            assertThat(((Map<String, Object>) c.get("message")).get("content")).as(stopField).isEqualTo(cut);
            assertThat(c.get("finish_reason")).isEqualTo("stop");
            StringBuilder streamed = new StringBuilder();
            Object finish = null;
            for (String e : events(post("/v1/chat/completions", stopped.replace("{\"messages\"", "{\"stream\": true, \"messages\"")).body())) {
                Map<String, Object> chunk = choice(Json.parseObject(e));
                Object content = ((Map<String, Object>) chunk.get("delta")).get("content");
                if (content != null) streamed.append((String) content);
                if (chunk.get("finish_reason") != null) finish = chunk.get("finish_reason");
            }
            assertThat(streamed.toString()).isEqualTo(cut);
            assertThat(finish).isEqualTo("stop");
        }
    }

    @Test
    void streamedCompletionsCarryTheSameLogprobsAsAWholeOne() throws Exception {
        String request = "{\"prompt\": \"The lazy dog\", \"max_tokens\": 10, \"temperature\": 0, \"logprobs\": 2, \"specdiff4j\": {\"mode\": \"specdiff\"}}";
        Map<String, Object> wholeBody = json(post("/v1/completions", request));
        Map<String, Object> whole = (Map<String, Object>) choice(wholeBody).get("logprobs");
        int generated = ((Number) ((Map<String, Object>) wholeBody.get("usage")).get("completion_tokens")).intValue();
        assertThat((List<Object>) whole.get("tokens")).isNotEmpty().hasSize(generated);
        Map<String, List<Object>> streamed = new java.util.LinkedHashMap<>();
        for (String e : events(post("/v1/completions", request.replace("{\"prompt\"", "{\"stream\": true, \"prompt\"")).body())) {
            Map<String, Object> c = choice(Json.parseObject(e));
            Map<String, Object> lp = (Map<String, Object>) c.get("logprobs");
            assertThat(lp).as("every chunk of a stream that asked for logprobs has them").isNotNull();
            for (Map.Entry<String, Object> field : lp.entrySet()) {
                streamed.computeIfAbsent(field.getKey(), k -> new ArrayList<>()).addAll((List<Object>) field.getValue());
            }
        }
        assertThat(streamed).isEqualTo(whole);
    }

    @Test
    void logprobsAreTheTargetsAndGreedyPicksTheMostLikelyToken() throws Exception {
        Map<String, Object> completion = json(post("/v1/completions", "{\"prompt\": \"The lazy dog\", \"max_tokens\": 8, \"temperature\": 0,"
                + " \"logprobs\": 3, \"specdiff4j\": {\"mode\": \"specdiff\"}}"));
        Map<String, Object> lp = (Map<String, Object>) choice(completion).get("logprobs");
        List<Object> tokens = (List<Object>) lp.get("tokens");
        List<Object> logprobs = (List<Object>) lp.get("token_logprobs");
        List<Object> tops = (List<Object>) lp.get("top_logprobs");
        int generated = ((Number) ((Map<String, Object>) completion.get("usage")).get("completion_tokens")).intValue();
        assertThat(tokens).hasSize(generated);
        for (int i = 0; i < generated; i++) {
            Map<String, Object> top = (Map<String, Object>) tops.get(i);
            double best = top.values().stream().mapToDouble(v -> ((Number) v).doubleValue()).max().orElseThrow();
            assertThat(top).hasSizeBetween(1, 3);
            assertThat(((Number) logprobs.get(i)).doubleValue()).isLessThanOrEqualTo(0).isEqualTo(best);
        }
        assertThat(((List<Object>) lp.get("text_offset")).get(0)).isEqualTo(0L);

        String chatRequest = "{\"messages\": [{\"role\": \"user\", \"content\": \"The lazy dog\"}], \"max_tokens\": 6, \"temperature\": 0,"
                + " \"logprobs\": true, \"top_logprobs\": 2}";
        Map<String, Object> chat = json(post("/v1/chat/completions", chatRequest));
        List<Object> content = (List<Object>) ((Map<String, Object>) choice(chat).get("logprobs")).get("content");
        assertThat(content).hasSize(((Number) ((Map<String, Object>) chat.get("usage")).get("completion_tokens")).intValue());
        for (Object o : content) {
            Map<String, Object> item = (Map<String, Object>) o;
            List<Object> top = (List<Object>) item.get("top_logprobs");
            assertThat(top).hasSize(2);
            Map<String, Object> best = (Map<String, Object>) top.get(0);
            assertThat(item.get("logprob")).isEqualTo(best.get("logprob"));
            assertThat(item.get("token")).isEqualTo(best.get("token"));
            assertThat(((Number) ((Map<String, Object>) top.get(1)).get("logprob")).doubleValue())
                    .isLessThanOrEqualTo(((Number) best.get("logprob")).doubleValue());
            assertThat((List<Object>) item.get("bytes")).isNotEmpty();
        }
        // the tokens' bytes are the reply (which may be cut before the reply end the last tokens hold)
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        for (Object o : content) for (Object b : (List<Object>) ((Map<String, Object>) o).get("bytes")) bytes.write(((Number) b).intValue());
        assertThat(bytes.toString(java.nio.charset.StandardCharsets.UTF_8))
                .startsWith((String) ((Map<String, Object>) choice(chat).get("message")).get("content"));
        // streamed, the same entries arrive spread over the chunks
        List<Object> streamed = new ArrayList<>();
        for (String e : events(post("/v1/chat/completions", chatRequest.replace("{\"messages\"", "{\"stream\": true, \"messages\"")).body())) {
            Object chunkLogprobs = choice(Json.parseObject(e)).get("logprobs");
            if (chunkLogprobs != null) streamed.addAll((List<Object>) ((Map<String, Object>) chunkLogprobs).get("content"));
        }
        assertThat(streamed).isEqualTo(content);
        assertThat(choice(json(post("/v1/chat/completions", chatRequest.replace("\"logprobs\": true, \"top_logprobs\": 2", "\"logprobs\": false"))))
                .get("logprobs")).isNull();
    }

    @Test
    void unknownFieldsAreIgnoredAndKnownOnesChecked() throws Exception {
        json(post("/v1/completions", "{\"prompt\": \"x\", \"max_tokens\": 2, \"max_token\": 5, \"some_client_extension\": {\"a\": [1]}}"));
        json(post("/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"x\", \"name\": \"me\"}], \"max_tokens\": 2,"
                + " \"store\": false, \"parallel_tool_calls\": true, \"tools\": [], \"response_format\": {\"type\": \"text\"}}"));
        String[][] cases = {
            {"{}", "'messages' is required"},
            {"{\"messages\": []}", "'messages' is empty"},
            {"{\"messages\": \"hi\"}", "'messages' must be an array"},
            {"{\"messages\": [{\"role\": \"wizard\", \"content\": \"x\"}]}", "'messages[0].role' must be one of"},
            {"{\"messages\": [{\"content\": \"x\"}]}", "'messages[0].role' must be a string"},
            {"{\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"image_url\", \"image_url\": {}}]}]}", "only text content is supported"},
            {"{\"messages\": [{\"role\": \"user\", \"content\": 5}]}", "'messages[0].content' must be a string or an array of text parts"},
            {"{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"max_tokens\": 2, \"max_completion_tokens\": 2}", "not both"},
            {"{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"max_completion_tokens\": 0}", "'max_completion_tokens' must be between 1"},
            {"{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"top_logprobs\": 2}", "'top_logprobs' needs 'logprobs': true"},
            {"{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"logprobs\": true, \"top_logprobs\": 21}", "'top_logprobs' must be between 0 and 20"},
            {"{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"tools\": [{\"type\": \"function\"}]}", "tool calling is not supported"},
            {"{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"response_format\": {\"type\": \"json_object\"}}", "only 'response_format'"},
            {"{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"temperature\": \"hot\"}", "'temperature' must be a number"},
            {"{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"specdiff4j\": {\"gama\": 3}}", "unknown field 'specdiff4j.gama'"},
            {"{\"messages\": [{\"role\": \"user\", \"content\": \"" + "word ".repeat(200) + "\"}]}", "context"},
        };
        for (String[] c : cases) {
            HttpResponse<String> r = post("/v1/chat/completions", c[0]);
            assertThat(r.statusCode()).as(c[0]).isEqualTo(400);
            assertThat((String) ((Map<String, Object>) Json.parseObject(r.body()).get("error")).get("message")).as(c[0]).contains(c[1]);
        }
    }

    @Test
    void tokenizeAndDetokenizeAsLlamaServer() throws Exception {
        List<Object> ids = (List<Object>) json(post("/tokenize", "{\"content\": \"The quick brown fox\"}")).get("tokens");
        assertThat(ids).isNotEmpty().allMatch(o -> o instanceof Long);
        assertThat(json(post("/detokenize", "{\"tokens\": " + Json.write(ids) + "}")).get("content")).isEqualTo("The quick brown fox");
        List<Object> pieces = (List<Object>) json(post("/tokenize", "{\"content\": \"The quick\", \"with_pieces\": true}")).get("tokens");
        StringBuilder joined = new StringBuilder();
        for (Object p : pieces) joined.append((String) ((Map<String, Object>) p).get("piece"));
        assertThat(joined.toString()).isEqualTo("The quick");
        assertThat(post("/detokenize", "{\"tokens\": [1, 300]}").body()).contains("'tokens' holds 300, which is not a token id");
        assertThat(post("/tokenize", "{\"text\": \"x\"}").body()).contains("'content' must be a string");
    }

    @Test
    void theModelIsFoundByItsAlias() throws Exception {
        HttpResponse<String> list = CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/models")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(list.body()).contains("\"id\":\"team/tiny-chat\"");
        HttpResponse<String> one = CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/models/team/tiny-chat"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(json(one).get("id")).isEqualTo("team/tiny-chat");
        HttpResponse<String> other = CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/models/gpt-4o"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(other.statusCode()).isEqualTo(404);
        assertThat(other.body()).contains("model_not_found").contains("the model 'gpt-4o' does not exist");
    }

    @Test
    void corsHeadersOnlyForConfiguredOrigins() throws Exception {
        URI chat = URI.create("http://127.0.0.1:" + server.port() + "/v1/chat/completions");
        HttpResponse<String> preflight = CLIENT.send(HttpRequest.newBuilder(chat).method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", "https://app.example.org").header("Access-Control-Request-Method", "POST").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(preflight.statusCode()).isEqualTo(204);
        assertThat(preflight.headers().firstValue("Access-Control-Allow-Origin")).hasValue("https://app.example.org");
        assertThat(preflight.headers().firstValue("Access-Control-Allow-Headers").orElse("")).contains("Authorization").contains("Content-Type");
        HttpResponse<String> stranger = CLIENT.send(HttpRequest.newBuilder(chat).method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", "https://evil.example.com").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(stranger.statusCode()).isEqualTo(403);
        assertThat(stranger.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
        HttpResponse<String> allowed = post("/tokenize", "{\"content\": \"x\"}", "Origin", "https://app.example.org");
        assertThat(allowed.headers().firstValue("Access-Control-Allow-Origin")).hasValue("https://app.example.org");
        HttpResponse<String> notAllowed = post("/tokenize", "{\"content\": \"x\"}", "Origin", "https://evil.example.com");
        assertThat(notAllowed.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
    }

    @Test
    void withoutATemplateChatIsAClear400AndCorsIsOffByDefault() throws Exception {
        try (ServerFixture plain = new ServerFixture(ServerFixture.settings())) {
            HttpResponse<String> r = plain.post("/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}");
            assertThat(r.statusCode()).isEqualTo(400);
            assertThat(r.body()).contains("\"code\":\"no_chat_template\"").contains("the model 'tiny' has no chat template");
            HttpResponse<String> preflight = plain.client.send(HttpRequest.newBuilder(plain.uri("/v1/completions"))
                    .method("OPTIONS", HttpRequest.BodyPublishers.noBody()).header("Origin", "https://app.example.org").build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(preflight.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
            HttpResponse<String> post = plain.client.send(HttpRequest.newBuilder(plain.uri("/v1/completions")).header("Origin", "https://app.example.org")
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"prompt\": \"x\", \"max_tokens\": 1}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(post.statusCode()).isEqualTo(200);
            assertThat(post.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
        }
    }

    @Test
    void theApiKeyCoversTheNewRoutes() throws Exception {
        try (ServerFixture locked = new ServerFixture(ServerFixture.settings().withAccess(new ServerSettings.Access("s3cret", Set.of())))) {
            for (String[] route : new String[][] {{"/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}"},
                {"/tokenize", "{\"content\": \"x\"}"}, {"/detokenize", "{\"tokens\": [1]}"}}) {
                HttpResponse<String> r = locked.post(route[0], route[1]);
                assertThat(r.statusCode()).as(route[0]).isEqualTo(401);
                HttpResponse<String> ok = locked.client.send(HttpRequest.newBuilder(locked.uri(route[0])).header("Authorization", "Bearer s3cret")
                        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(route[1])).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(ok.statusCode()).as(route[0]).isIn(200, 400); // past the key: chat has no template here
            }
            assertThat(locked.get("/v1/models/tiny").statusCode()).isEqualTo(401);
        }
    }
}
