package dev.specdiff4j.server;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Concurrency, admission control and faults: the server stays up, answers right, and does not leak slots. Every
 * assertion is on a state the server is driven into (a long-context target whose generations cannot finish before a
 * client hangs up, slots filled on purpose), never on timing. The load and fault parts are {@link ServerDrill}, which
 * {@code bench server} runs on the demo models for docs/benchmarks.md; what each test held is written to
 * target/server-load-report.md.
 */
class ServerLoadTest {
    private static final Map<String, String> REPORT = new TreeMap<>();
    /** The idle timeout of the fault test's server: stalled clients are closed after it. */
    private static final Duration IDLE = Duration.ofSeconds(2);

    private static String longStream(int maxTokens) {
        return "{\"prompt\": \"gone\", \"max_tokens\": " + maxTokens + ", \"stream\": true, \"temperature\": 0}";
    }

    @Test
    void sixteenClientsTwoHundredRequestsEachAsIfServedAlone() throws Exception {
        try (ServerFixture fx = new ServerFixture(ServerFixture.settings().withCapacity(2, 64, Duration.ofSeconds(120)))) {
            ServerDrill.Plan plan = new ServerDrill.Plan(16, 200, 1, 0, 0, 0, 1);
            ServerDrill.Load load = new ServerDrill(fx.server.port(), IDLE).load(plan);
            assertThat(load.errors()).isEmpty();
            assertThat(load.equalToAlone()).isEqualTo(200);
            assertThat(load.healthChecks()).isPositive();
            assertThat(load.healthFailures()).isEmpty();
            REPORT.put("1 load", new ServerDrill.Result(plan, load, null).markdown().lines().skip(2).findFirst().orElseThrow());
        }
    }

    @Test
    void aFullQueueIsRefusedWith429AtOnceWhileHealthStillAnswers() throws Exception {
        ServerSettings oneSlotOneQueued = ServerFixture.settings().withCapacity(1, 1, Duration.ofMinutes(5));
        try (ServerFixture fx = ServerFixture.longContext(oneSlotOneQueued); Socket running = RawHttp.open(fx); Socket queued = RawHttp.open(fx)) {
            RawHttp.write(running, RawHttp.post("/v1/completions", longStream(ServerFixture.LONG_CONTEXT - 100)));
            fx.awaitRunning(1);
            RawHttp.write(queued, RawHttp.post("/v1/completions", longStream(ServerFixture.LONG_CONTEXT - 100)));
            while (!fx.get("/health").body().contains("\"queued\":1")) Thread.sleep(10);

            int refused = 0;
            for (int i = 0; i < 5; i++) {
                HttpResponse<String> r = fx.post("/v1/completions", "{\"prompt\": \"more\", \"max_tokens\": 4}");
                assertThat(r.statusCode()).isEqualTo(429);
                assertThat(r.body()).contains("\"code\":\"queue_full\"").contains("retry later");
                assertThat(r.headers().firstValue("Retry-After")).hasValue("1");
                refused++;
            }
            assertThat(fx.get("/health").statusCode()).isEqualTo(200);
            assertThat(fx.metric("specdiff4j_requests_rejected_total")).isEqualTo(refused);
            running.close();
            // the queued request got the slot (running 1 alone could still be the first one, not yet ended)
            while (!fx.get("/health").body().contains("\"queued\":0")) Thread.sleep(10);
            fx.awaitRunning(1);
            queued.close();
            fx.awaitRunning(0);
            assertThat(fx.metric("specdiff4j_requests_cancelled_total")).isEqualTo(2);
            REPORT.put("2 admission", "| 1 slot, 1 queue place, both taken by long streams | " + refused
                    + " further requests | all " + refused + " answered 429 queue_full; /health 200 meanwhile; both hung-up streams cancelled |");
        }
    }

    @Test
    void faultyClientsDoNotTakeTheServerDownOrLeak() throws Exception {
        int maxTokens = ServerFixture.LONG_CONTEXT - 100;
        ServerSettings settings = ServerFixture.settings().withCapacity(2, 64, Duration.ofMinutes(5))
                .withConnections(new ServerSettings.Connections(IDLE, IDLE, 1024, 256));
        try (ServerFixture fx = ServerFixture.longContext(settings)) {
            ServerDrill.Plan plan = new ServerDrill.Plan(1, 0, 4, 6, 10, 3, maxTokens);
            ServerDrill.Faults f = new ServerDrill(fx.server.port(), IDLE).faults(plan);
            assertThat(f.problems()).isEmpty();
            assertThat(f.cancelled()).as("every abandoned stream cancelled").isEqualTo(24);
            assertThat(f.tokensGenerated()).as("tokens generated in all").isLessThan(f.tokensAsked() / 10);
            assertThat(f.oversizedRefused()).isEqualTo(12);
            assertThat(f.normalAnswered()).isEqualTo(4);
            assertThat(f.healthOk()).isEqualTo(4);
            assertThat(f.stallsClosedByServer()).as("stalled clients closed by the idle timeout").isEqualTo(10);
            assertThat(f.serverFailures()).isZero();
            REPORT.put("3 faults", new ServerDrill.Result(plan, null, f).markdown().lines().skip(2).findFirst().orElseThrow());
        }
    }

    @AfterAll
    static void writeReport() throws Exception {
        StringBuilder md = new StringBuilder("# Server load and fault tests\n\n"
                + "What `ServerLoadTest` held on this run (tiny random-weight models; a long-context target where a generation must outlast "
                + "a hang-up).\n\n| Load | Requests | Outcome |\n|---|---|---|\n");
        REPORT.values().forEach(row -> md.append(row).append('\n'));
        Path file = Path.of("target", "server-load-report.md");
        Files.createDirectories(file.getParent());
        Files.writeString(file, md.toString(), StandardCharsets.UTF_8);
        System.out.println(md);
    }
}
