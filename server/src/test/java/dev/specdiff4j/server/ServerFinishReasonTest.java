package dev.specdiff4j.server;

import dev.specdiff4j.engine.decoding.FinishReason;
import dev.specdiff4j.json.Json;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** finish_reason keeps to OpenAI's values; a generation cut by the server's --timeout says "length", with "timeout" in the extension. */
@SuppressWarnings("unchecked")
class ServerFinishReasonTest {
    @Test
    void everyEndOfTheEngineHasAnOpenAiName() {
        assertThat(CompletionServer.finishReason(FinishReason.EOS)).isEqualTo("stop");
        assertThat(CompletionServer.finishReason(FinishReason.STOP)).isEqualTo("stop");
        assertThat(CompletionServer.finishReason(FinishReason.LENGTH)).isEqualTo("length");
        assertThat(CompletionServer.finishReason(FinishReason.CONTEXT)).isEqualTo("length");
        assertThat(CompletionServer.finishReason(FinishReason.CANCELLED)).isEqualTo("length");
    }

    @Test
    void aTimedOutGenerationEndsWithLengthAndSaysTimeoutInTheExtension() throws Exception {
        ServerSettings settings = ServerFixture.settings();
        // the long-context target cannot write 8,000 tokens in 200 ms
        settings = settings.withLimits(settings.maxBodyBytes(), settings.maxTokensLimit(), Duration.ofMillis(200));
        try (ServerFixture fx = ServerFixture.longContext(settings)) {
            String request = "{\"prompt\": \"The\", \"max_tokens\": 8000, \"temperature\": 0}";
            HttpResponse<String> whole = fx.post("/v1/completions", request);
            assertThat(whole.statusCode()).as(whole.body()).isEqualTo(200);
            Map<String, Object> body = Json.parseObject(whole.body());
            Map<String, Object> choice = (Map<String, Object>) ((List<Object>) body.get("choices")).get(0);
            assertThat(choice.get("finish_reason")).isEqualTo("length");
            assertThat(((Map<String, Object>) body.get("specdiff4j")).get("finish_reason")).isEqualTo("timeout");
            assertThat(((Number) ((Map<String, Object>) body.get("usage")).get("completion_tokens")).intValue()).isLessThan(8000);

            String streamed = fx.post("/v1/completions", request.replace("{\"prompt\"", "{\"stream\": true, \"prompt\"")).body();
            String last = streamed.lines().filter(l -> l.contains("\"finish_reason\":\"")).reduce((a, b) -> b).orElseThrow();
            Map<String, Object> lastChunk = Json.parseObject(last.substring("data: ".length()));
            assertThat(((Map<String, Object>) ((List<Object>) lastChunk.get("choices")).get(0)).get("finish_reason")).isEqualTo("length");
            assertThat(((Map<String, Object>) lastChunk.get("specdiff4j")).get("finish_reason")).isEqualTo("timeout");

            Map<String, Object> shortOne = Json.parseObject(fx.post("/v1/completions", "{\"prompt\": \"The\", \"max_tokens\": 3}").body());
            assertThat(((Map<String, Object>) shortOne.get("specdiff4j")).get("finish_reason")).isEqualTo("length");
        }
    }
}
