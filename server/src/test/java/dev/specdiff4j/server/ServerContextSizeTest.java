package dev.specdiff4j.server;

import dev.specdiff4j.engine.api.Generator;
import dev.specdiff4j.engine.api.ModelSpec;
import dev.specdiff4j.engine.testing.TinyModels;
import dev.specdiff4j.json.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** serve -c N: the server measures prompts and replies against the generator's context size, not the model's. */
@SuppressWarnings("unchecked")
class ServerContextSizeTest {
    /** Above the server's largest γ (32), below gpt2-tiny's 64. */
    private static final int CONTEXT = 40;

    @Test
    void promptsAndRepliesFitTheContextSize(@TempDir Path dir) throws Exception {
        Path target = TinyModels.withTokenizer("gpt2-tiny", dir);
        try (Generator generator = Generator.open(ModelSpec.of(target).withKernels(null, 2, 0).withContextSize(CONTEXT));
             CompletionServer server = CompletionServer.start(generator, ServerFixture.settings().withDefaults(dev.specdiff4j.engine.api.Mode.AR, 1, 1))) {
            HttpClient client = HttpClient.newHttpClient();
            URI uri = URI.create("http://127.0.0.1:" + server.port() + "/v1/completions");
            HttpResponse<String> tooLong = client.send(HttpRequest.newBuilder(uri).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\": " + Json.write(java.util.Collections.nCopies(CONTEXT, 5))
                            + ", \"max_tokens\": 1}")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(tooLong.statusCode()).isEqualTo(400);
            assertThat(tooLong.body()).contains("context_length_exceeded").contains("the model's context holds " + CONTEXT);

            HttpResponse<String> r = client.send(HttpRequest.newBuilder(uri).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\": [5, 6, 7, 8], \"max_tokens\": 100, \"specdiff4j\": {\"mode\": \"ar\"}}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            Map<String, Object> body = Json.parseObject(r.body());
            // the fixture's seeded weights never write the end token here: the reply runs to the context size
            assertThat(((Map<String, Object>) body.get("specdiff4j")).get("finish_reason")).isEqualTo("context");
            assertThat(((Number) ((Map<String, Object>) body.get("usage")).get("completion_tokens")).intValue()).isEqualTo(CONTEXT - 4 + 1);
            assertThat((String) ((Map<String, Object>) ((java.util.List<Object>) body.get("choices")).get(0)).get("finish_reason")).isEqualTo("length");
        }
    }
}
