package dev.specdiff4j.server;

import dev.specdiff4j.json.Json;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The OpenAI-compatible endpoints: shapes of the answers, streaming, and a 400 that says what is wrong for every malformed request. */
class ServerApiTest {
    private static ServerFixture fx;

    @BeforeAll
    static void start() throws IOException {
        fx = new ServerFixture(ServerFixture.settings().withLimits(64 * 1024, 100, java.time.Duration.ofSeconds(60)));
    }

    @AfterAll
    static void stop() {
        fx.close();
    }

    @Test
    @SuppressWarnings("unchecked")
    void completionHealthModelsAndMetrics() throws Exception {
        HttpResponse<String> r = fx.post("/v1/completions", "{\"prompt\": \"The quick brown\", \"max_tokens\": 12, \"temperature\": 0}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        Map<String, Object> body = Json.parseObject(r.body());
        assertThat(body.get("object")).isEqualTo("text_completion");
        Map<String, Object> choice = (Map<String, Object>) ((List<Object>) body.get("choices")).get(0);
        assertThat(choice.get("finish_reason")).isIn("length", "stop");
        Map<String, Object> usage = (Map<String, Object>) body.get("usage");
        assertThat(((Number) usage.get("completion_tokens")).intValue()).isBetween(1, 12);
        assertThat(((Map<String, Object>) body.get("specdiff4j")).get("rounds")).isNotNull();

        assertThat(fx.get("/health").body()).contains("\"status\":\"ok\"");
        assertThat(fx.get("/v1/models").body()).contains("\"object\":\"list\"").contains("\"id\":\"tiny\"");
        String metrics = fx.get("/metrics").body();
        assertThat(metrics).contains("# TYPE specdiff4j_requests_total counter").contains("specdiff4j_queue_depth ")
                .contains("specdiff4j_acceptance_rate ").contains("specdiff4j_tokens_per_second ");
    }

    @Test
    void streamingSendsServerSentEventsThatAddUpToTheSameText() throws Exception {
        String request = "{\"prompt\": \"The lazy dog\", \"max_tokens\": 20, \"temperature\": 0, \"specdiff4j\": {\"mode\": \"specdiff\"}}";
        String plain = ServerFixture.text(fx.post("/v1/completions", request));
        HttpResponse<java.io.InputStream> r = fx.client.send(HttpRequest.newBuilder(fx.uri("/v1/completions"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(request.replace("{\"prompt\"", "{\"stream\": true, \"prompt\""))).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/event-stream"));
        StringBuilder text = new StringBuilder();
        List<String> finishes = new ArrayList<>();
        boolean done = false;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                if (line.isEmpty()) continue;
                assertThat(line).startsWith("data: ");
                String data = line.substring(6);
                if (data.equals("[DONE]")) {
                    done = true;
                    continue;
                }
                @SuppressWarnings("unchecked")
                Map<String, Object> choice = (Map<String, Object>) ((List<Object>) Json.parseObject(data).get("choices")).get(0);
                text.append((String) choice.get("text"));
                if (choice.get("finish_reason") != null) finishes.add((String) choice.get("finish_reason"));
            }
        }
        assertThat(done).isTrue();
        assertThat(finishes).hasSize(1);
        assertThat(text.toString()).isEqualTo(plain);
    }

    @Test
    void everyModeAnswersTheSameGreedyText() throws Exception {
        String base = "{\"prompt\": \"Over the fox\", \"max_tokens\": 16, \"temperature\": 0, \"specdiff4j\": {\"mode\": \"%s\"}}";
        String ar = ServerFixture.text(fx.post("/v1/completions", base.formatted("ar")));
        assertThat(ServerFixture.text(fx.post("/v1/completions", base.formatted("sd")))).isEqualTo(ar);
        assertThat(ServerFixture.text(fx.post("/v1/completions", base.formatted("specdiff")))).isEqualTo(ar);
        String tree = "{\"prompt\": \"Over the fox\", \"max_tokens\": 16, \"temperature\": 0, \"specdiff4j\": {\"mode\": \"%s\", \"tree\": %s}}";
        assertThat(ServerFixture.text(fx.post("/v1/completions", tree.formatted("specdiff", "12")))).isEqualTo(ar);
        assertThat(ServerFixture.text(fx.post("/v1/completions", tree.formatted("sd", "\"auto\"")))).isEqualTo(ar);
    }

    @Test
    void malformedRequestsGetA400ThatSaysWhatIsWrong() throws Exception {
        String[][] cases = {
            {"{not json", "not a valid JSON object"},
            {"[1, 2]", "not a valid JSON object"},
            {"{}", "'prompt' is required"},
            {"{\"prompt\": \"\"}", "'prompt' is empty"},
            {"{\"prompt\": 42}", "'prompt' must be a string"},
            {"{\"prompt\": \"x\", \"max_tokens\": \"ten\"}", "'max_tokens' must be an integer"},
            {"{\"prompt\": \"x\", \"max_tokens\": -1}", "'max_tokens' must be between 1 and 100"},
            {"{\"prompt\": \"x\", \"max_tokens\": 99999999999}", "'max_tokens' must be between 1 and 100"},
            {"{\"prompt\": \"x\", \"temperature\": 7}", "'temperature' must be between 0"},
            {"{\"prompt\": \"x\", \"temperature\": null, \"top_p\": 0}", "'top_p' must be greater than 0 and at most 1, got 0"},
            {"{\"prompt\": \"x\", \"top_k\": 1.5}", "'top_k' must be an integer"},
            {"{\"prompt\": \"x\", \"n\": 2}", "only n = 1"},
            {"{\"prompt\": \"x\", \"stream\": \"yes\"}", "'stream' must be true or false"},
            {"{\"prompt\": \"x\", \"stop\": [1]}", "'stop' must be a string or an array of strings"},
            {"{\"prompt\": \"x\", \"stop\": [\"a\",\"b\",\"c\",\"d\",\"e\"]}", "at most 4 stop strings"},
            {"{\"prompt\": \"x\", \"logprobs\": 6}", "'logprobs' must be between 0 and 5"},
            {"{\"prompt\": \"x\", \"stream_options\": 1}", "'stream_options' must be an object"},
            {"{\"prompt\": \"x\", \"frequency_penalty\": 0.5}", "penalties are not supported"},
            {"{\"prompt\": \"x\", \"seed\": \"a\"}", "'seed' must be an integer"},
            {"{\"prompt\": \"x\", \"specdiff4j\": {\"gamma\": 0}}", "'specdiff4j.gamma' must be between 1 and 32"},
            {"{\"prompt\": \"x\", \"specdiff4j\": {\"mode\": \"turbo\"}}", "unknown mode 'turbo'"},
            {"{\"prompt\": \"x\", \"specdiff4j\": {\"verify\": \"greedy\"}}", "'specdiff4j.verify' greedy needs 'temperature' 0"},
            {"{\"prompt\": \"x\", \"specdiff4j\": {\"colour\": 1}}", "unknown field 'specdiff4j.colour'"},
            {"{\"prompt\": \"x\", \"specdiff4j\": {\"tree\": \"big\"}}", "'tree' must be a node budget from 0 (off) to 1024"},
            {"{\"prompt\": \"x\", \"specdiff4j\": {\"tree\": 8, \"overlap\": true}}", "--tree cannot be combined with --overlap"},
            {"{\"prompt\": [12, 99999]}", "token id 99999 is outside the target model's vocabulary of 300 tokens"},
            {"{\"prompt\": \"" + "word ".repeat(200) + "\"}", "context"},
        };
        for (String[] c : cases) {
            HttpResponse<String> r = fx.post("/v1/completions", c[0]);
            assertThat(r.statusCode()).as(c[0]).isEqualTo(400);
            @SuppressWarnings("unchecked")
            Map<String, Object> error = (Map<String, Object>) Json.parseObject(r.body()).get("error");
            assertThat((String) error.get("message")).as(c[0]).contains(c[1]);
            assertThat(error.get("type")).isEqualTo("invalid_request_error");
        }
        HttpResponse<String> invalidUtf8 = fx.client.send(HttpRequest.newBuilder(fx.uri("/v1/completions"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(new byte[] {'{', '"', 'p', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'})).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(invalidUtf8.statusCode()).isEqualTo(400);
        assertThat(invalidUtf8.body()).contains("'p' is not valid UTF-8").contains("\"param\":\"p\"");
        HttpResponse<String> tooBig = fx.post("/v1/completions", "{\"prompt\": \"" + "x".repeat(100_000) + "\"}");
        assertThat(tooBig.statusCode()).isEqualTo(413);
        assertThat(tooBig.body()).contains("larger than 65536 bytes");
        HttpResponse<String> missing = fx.get("/v2/nothing");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(missing.body()).contains("\"error\"");
        assertThat(fx.get("/metrics").body()).containsPattern("specdiff4j_requests_invalid_total [1-9]");
    }
}
