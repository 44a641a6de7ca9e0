package dev.specdiff4j.server;

import dev.specdiff4j.json.Json;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** Bad input of every kind gets an OpenAI-style JSON error that names the problem, and cross-site requests are refused. */
class ServerHardeningTest {
    /** A Java exception class name, as in "java.lang.ArithmeticException". */
    private static final String EXCEPTION_NAME = "[a-z]+\\.[a-z.]+\\.[A-Z]\\w*(Exception|Error)";

    private static ServerFixture fx;

    @BeforeAll
    static void start() throws IOException {
        fx = new ServerFixture(ServerFixture.settings().withAccess(new ServerSettings.Access(null, Set.of("models.example"))));
    }

    @AfterAll
    static void stop() {
        fx.close();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> error(String body) {
        return (Map<String, Object>) Json.parseObject(body).get("error");
    }

    private static void assertInvalid(HttpResponse<String> r, String param, String message) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        Map<String, Object> error = error(r.body());
        assertThat(error.get("param")).as(r.body()).isEqualTo(param);
        assertThat((String) error.get("message")).contains(message).doesNotContainPattern(EXCEPTION_NAME);
    }

    @Test
    void aTokenIdBeyondTheIntRangeIsA400NamingThePrompt() throws Exception {
        HttpResponse<String> r = fx.post("/v1/completions", "{\"prompt\": [12, 4294967296], \"max_tokens\": 2}");
        assertInvalid(r, "prompt", "token id 4294967296");
        assertThat(fx.metric("specdiff4j_requests_failed_total")).isZero();
    }

    @Test
    void nestedFieldsAreNamedWithTheirObject() throws Exception {
        assertInvalid(fx.post("/v1/completions", "{\"prompt\": \"x\", \"specdiff4j\": {\"gamma\": 99}}"), "specdiff4j.gamma",
                "'specdiff4j.gamma' must be between 1 and 32");
        assertInvalid(fx.post("/v1/completions", "{\"prompt\": \"x\", \"specdiff4j\": {\"steps\": \"two\"}}"), "specdiff4j.steps",
                "'specdiff4j.steps' must be an integer");
        HttpResponse<String> verify = fx.post("/v1/completions", "{\"prompt\": \"x\", \"temperature\": 0.5, \"specdiff4j\": {\"verify\": \"greedy\"}}");
        assertInvalid(verify, "specdiff4j.verify", "needs 'temperature' 0");
        assertThat(verify.body()).doesNotContain("--");
        HttpResponse<String> topP = fx.post("/v1/completions", "{\"prompt\": \"x\", \"top_p\": 0}");
        assertInvalid(topP, "top_p", "'top_p' must be greater than 0 and at most 1");
        assertThat(topP.body()).doesNotContain("E-324");
    }

    @Test
    void textThatIsNotValidUnicodeIsRefusedNamingItsField() throws Exception {
        assertInvalid(fx.post("/v1/completions", "{\"prompt\": \"a\\ud800b\"}"), "prompt", "unpaired surrogate");
        assertInvalid(fx.post("/v1/completions", "{\"prompt\": \"a\", \"stop\": [\"ok\", \"\\udc00\"]}"), "stop", "unpaired surrogate");
        assertThat(fx.post("/v1/completions", "{\"prompt\": \"a \\ud83d\\ude00\", \"max_tokens\": 2}").statusCode()).isEqualTo(200);
        byte[] body = "{\"prompt\": \"ok\", \"stop\": \"\u0000\"}".getBytes(StandardCharsets.UTF_8);
        body[body.length - 3] = (byte) 0xFF;
        HttpResponse<String> r = fx.client.send(HttpRequest.newBuilder(fx.uri("/v1/completions")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertInvalid(r, "stop", "'stop' is not valid UTF-8");
    }

    @Test
    void aPostThatIsNotJsonIsA415() throws Exception {
        for (String type : new String[] {"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"}) {
            HttpResponse<String> r = fx.client.send(HttpRequest.newBuilder(fx.uri("/v1/completions")).header("Content-Type", type)
                    .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\": \"x\", \"max_tokens\": 1}")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(type).isEqualTo(415);
            assertThat(error(r.body()).get("code")).isEqualTo("unsupported_media_type");
        }
        assertThat(fx.post("/v1/completions", "{\"prompt\": \"x\", \"max_tokens\": 1}").statusCode()).isEqualTo(200);
    }

    @Test
    void aHostHeaderThatDoesNotNameTheServerIsRefused() throws Exception {
        String request = "GET /v1/models HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n";
        for (String host : new String[] {"attacker.example", "attacker.example:" + fx.server.port()}) {
            try (Socket s = RawHttp.open(fx)) {
                RawHttp.write(s, request.formatted(host));
                String answer = RawHttp.readAll(s);
                assertThat(answer).as(host).startsWith("HTTP/1.1 403").contains("\"code\":\"host_not_allowed\"");
            }
        }
        for (String host : new String[] {"localhost:" + fx.server.port(), "127.0.0.1", "[::1]:80", "models.example"}) {
            try (Socket s = RawHttp.open(fx)) {
                RawHttp.write(s, request.formatted(host));
                assertThat(RawHttp.readAll(s)).as(host).startsWith("HTTP/1.1 200");
            }
        }
    }

    @Test
    void aWrongMethodIsA405WithAllow() throws Exception {
        HttpResponse<String> r = fx.get("/v1/completions");
        assertThat(r.statusCode()).isEqualTo(405);
        assertThat(r.headers().firstValue("Allow")).hasValue("POST");
        assertThat(error(r.body()).get("code")).isEqualTo("method_not_allowed");
    }

    @Test
    void errorsJettyAnswersItselfAreJsonToo() throws Exception {
        String[] requests = {
            "POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: abc\r\n\r\n{}",
            "GET /" + "a".repeat(20_000) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
            "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + "b".repeat(20_000) + "\r\n\r\n",
        };
        for (String request : requests) {
            try (Socket s = RawHttp.open(fx)) {
                s.setSoTimeout(10_000);
                RawHttp.write(s, request);
                String answer = RawHttp.readAll(s);
                String head = answer.substring(0, answer.indexOf("\r\n\r\n"));
                String body = answer.substring(answer.indexOf("\r\n\r\n") + 4);
                assertThat(head).as(answer).matches("(?s)HTTP/1.1 4\\d\\d .*").containsIgnoringCase("Content-Type: application/json");
                assertThat(body).doesNotContain("<html").doesNotContainPattern(EXCEPTION_NAME);
                assertThat(error(body).get("message")).isNotNull();
            }
        }
    }

    @Test
    void anApiKeyGuardsTheApiButNotTheHealthCheckOrTheMetrics() throws Exception {
        try (ServerFixture keyed = new ServerFixture(ServerFixture.settings().withAccess(new ServerSettings.Access("s3cret", Set.of())))) {
            HttpResponse<String> without = keyed.post("/v1/completions", "{\"prompt\": \"x\", \"max_tokens\": 1}");
            assertThat(without.statusCode()).isEqualTo(401);
            assertThat(error(without.body()).get("code")).isEqualTo("invalid_api_key");
            HttpResponse<String> wrong = keyed.client.send(HttpRequest.newBuilder(keyed.uri("/v1/models")).header("Authorization", "Bearer s3cre")
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(wrong.statusCode()).isEqualTo(401);
            HttpResponse<String> right = keyed.client.send(HttpRequest.newBuilder(keyed.uri("/v1/completions")).header("Authorization", "Bearer s3cret")
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"prompt\": \"x\", \"max_tokens\": 1}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(right.statusCode()).as(right.body()).isEqualTo(200);
            assertThat(keyed.get("/health").statusCode()).isEqualTo(200);
            assertThat(keyed.get("/metrics").statusCode()).as("open to scrapers, by choice").isEqualTo(200);
        }
    }
}
