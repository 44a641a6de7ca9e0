package dev.specdiff4j.server;

import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.specdiff4j.engine.api.Generator;
import dev.specdiff4j.engine.api.Mode;
import dev.specdiff4j.engine.api.ModelSpec;
import dev.specdiff4j.json.Json;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.openai.OpenAiChatOptions;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The chat API as real clients use it: LangChain4j's OpenAiChatModel and OpenAiStreamingChatModel and Spring AI's
 * OpenAiChatModel (on the official OpenAI Java SDK), alone and behind its fluent ChatClient, talk to the server on the
 * bundled demo models, with an API key, and get exactly the reply the server gives a plain HTTP request (greedy decoding).
 */
@SuppressWarnings("unchecked")
class OpenAiClientsTest {
    private static final String KEY = "test-key-123";
    private static final String SYSTEM = "You answer questions about the weather.";
    private static final String USER = "It was a cold morning in the city, and";
    private static final int MAX_TOKENS = 16;
    private static Generator generator;
    private static CompletionServer server;
    private static String expected;
    private static Map<String, Object> expectedUsage;

    @BeforeAll
    static void start() throws IOException, InterruptedException {
        Path demo = Path.of(System.getProperty("user.dir")).resolveSibling("models").resolve("demo");
        generator = Generator.open(ModelSpec.of(demo.resolve("target")).withDiffusionDrafter(demo.resolve("drafter")).withKernels(null, 2, 0));
        server = CompletionServer.start(generator, ServerSettings.defaults("demo").withAddress("127.0.0.1", 0).withDefaults(Mode.SPECDIFF, 4, 2)
                .withAccess(new ServerSettings.Access(KEY, Set.of())));
        HttpResponse<String> plain = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(baseUrl() + "/chat/completions"))
                .header("Content-Type", "application/json").header("Authorization", "Bearer " + KEY)
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\": \"demo\", \"messages\": [{\"role\": \"system\", \"content\": " + Json.write(SYSTEM)
                        + "}, {\"role\": \"user\", \"content\": " + Json.write(USER) + "}], \"max_tokens\": " + MAX_TOKENS + ", \"temperature\": 0}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(plain.statusCode()).as(plain.body()).isEqualTo(200);
        Map<String, Object> body = Json.parseObject(plain.body());
        Map<String, Object> choice = (Map<String, Object>) ((List<Object>) body.get("choices")).get(0);
        expected = (String) ((Map<String, Object>) choice.get("message")).get("content");
        expectedUsage = (Map<String, Object>) body.get("usage");
        assertThat(expected).isNotBlank();
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
        if (generator != null) generator.close();
    }

    private static String baseUrl() {
        return "http://127.0.0.1:" + server.port() + "/v1";
    }

    @Test
    void langChain4jChatModel() {
        OpenAiChatModel model = OpenAiChatModel.builder().baseUrl(baseUrl()).apiKey(KEY).modelName("demo").maxTokens(MAX_TOKENS)
                .temperature(0.0).timeout(Duration.ofSeconds(60)).build();
        ChatResponse response = model.chat(SystemMessage.from(SYSTEM), UserMessage.from(USER));
        assertThat(response.aiMessage().text()).isEqualTo(expected);
        assertThat(response.tokenUsage().inputTokenCount()).isEqualTo(((Number) expectedUsage.get("prompt_tokens")).intValue());
        assertThat(response.tokenUsage().outputTokenCount()).isEqualTo(((Number) expectedUsage.get("completion_tokens")).intValue());
        assertThat(response.metadata().modelName()).isEqualTo("demo");
    }

    @Test
    void langChain4jStreamingChatModel() throws Exception {
        OpenAiStreamingChatModel model = OpenAiStreamingChatModel.builder().baseUrl(baseUrl()).apiKey(KEY).modelName("demo")
                .maxTokens(MAX_TOKENS).temperature(0.0).timeout(Duration.ofSeconds(60)).build();
        StringBuilder partial = new StringBuilder();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        model.chat(List.of(SystemMessage.from(SYSTEM), UserMessage.from(USER)), new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String text) {
                partial.append(text);
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                done.complete(response);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        ChatResponse response = done.get(60, TimeUnit.SECONDS);
        assertThat(partial.toString()).isEqualTo(expected);
        assertThat(response.aiMessage().text()).isEqualTo(expected);
        assertThat(response.tokenUsage().outputTokenCount()).isEqualTo(((Number) expectedUsage.get("completion_tokens")).intValue());
    }

    @Test
    void springAiOpenAiChatModel() {
        org.springframework.ai.openai.OpenAiChatModel model = org.springframework.ai.openai.OpenAiChatModel.builder()
                .options(OpenAiChatOptions.builder().baseUrl(baseUrl()).apiKey(KEY).model("demo").maxTokens(MAX_TOKENS).temperature(0.0).build())
                .build();
        Prompt prompt = new Prompt(List.of(new org.springframework.ai.chat.messages.SystemMessage(SYSTEM),
                new org.springframework.ai.chat.messages.UserMessage(USER)));
        org.springframework.ai.chat.model.ChatResponse response = model.call(prompt);
        assertThat(response.getResult().getOutput().getText()).isEqualTo(expected);
        assertThat(response.getMetadata().getUsage().getCompletionTokens()).isEqualTo(((Number) expectedUsage.get("completion_tokens")).intValue());

        StringBuilder streamed = new StringBuilder();
        model.stream(prompt).toStream().forEach(r -> {
            if (r.getResult() != null && r.getResult().getOutput().getText() != null) streamed.append(r.getResult().getOutput().getText());
        });
        assertThat(streamed.toString()).isEqualTo(expected);
    }

    @Test
    void springAiChatClient() {
        org.springframework.ai.openai.OpenAiChatModel model = org.springframework.ai.openai.OpenAiChatModel.builder()
                .options(OpenAiChatOptions.builder().baseUrl(baseUrl()).apiKey(KEY).model("demo").maxTokens(MAX_TOKENS).temperature(0.0).build())
                .build();
        ChatClient client = ChatClient.builder(model).defaultSystem(SYSTEM).build();
        // the user text goes through ChatClient's own template rendering on its way
        org.springframework.ai.chat.model.ChatResponse response = client.prompt()
                .user(u -> u.text("It was a {weather} morning in the city, and").param("weather", "cold")).call().chatResponse();
        assertThat(response.getResult().getOutput().getText()).isEqualTo(expected);
        assertThat(response.getMetadata().getUsage().getPromptTokens()).isEqualTo(((Number) expectedUsage.get("prompt_tokens")).intValue());
        assertThat(response.getMetadata().getUsage().getCompletionTokens()).isEqualTo(((Number) expectedUsage.get("completion_tokens")).intValue());

        List<String> streamed = client.prompt().user(USER).stream().content().collectList().block(Duration.ofSeconds(60));
        assertThat(String.join("", streamed)).isEqualTo(expected);
        assertThat(client.prompt().user(USER).call().content()).isEqualTo(expected);
    }
}
