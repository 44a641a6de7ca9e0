package dev.specdiff4j.server;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Concurrency, admission control and faults: the server stays up, answers right, and does not leak slots. Every
 * assertion is on a state the server is driven into (a long-context target whose generations cannot finish before a
 * client hangs up, slots filled on purpose), never on timing. What each test held is written to
 * target/server-load-report.md.
 */
class ServerLoadTest {
    private static final Map<String, String> REPORT = new TreeMap<>();

    private static String request(int i) {
        String mode = new String[] {"ar", "sd", "specdiff"}[i % 3];
        String sampling = i % 2 == 0 ? "\"temperature\": 0" : "\"temperature\": 0.9, \"top_p\": 0.95, \"seed\": " + i;
        return "{\"prompt\": \"Request number " + (i % 17) + " says\", \"max_tokens\": " + (8 + i % 9) + ", " + sampling
                + ", \"specdiff4j\": {\"mode\": \"" + mode + "\", \"gamma\": " + (2 + i % 5) + "}}";
    }

    private static String longStream(int maxTokens) {
        return "{\"prompt\": \"gone\", \"max_tokens\": " + maxTokens + ", \"stream\": true, \"temperature\": 0}";
    }

    @Test
    void sixteenClientsTwoHundredRequestsEachAsIfServedAlone() throws Exception {
        try (ServerFixture fx = new ServerFixture(ServerFixture.settings().withCapacity(2, 64, Duration.ofSeconds(120)))) {
            Map<Integer, String> alone = new HashMap<>();
            for (int i = 0; i < 200; i++) {
                HttpResponse<String> r = fx.post("/v1/completions", request(i));
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                alone.put(i, ServerFixture.text(r));
            }
            AtomicBoolean running = new AtomicBoolean(true);
            AtomicInteger healthChecks = new AtomicInteger();
            List<String> healthFailures = new CopyOnWriteArrayList<>();
            Thread health = Thread.ofPlatform().start(() -> {
                while (running.get()) {
                    try {
                        HttpResponse<String> h = fx.get("/health");
                        if (h.statusCode() != 200) healthFailures.add(h.statusCode() + " " + h.body());
                        healthChecks.incrementAndGet();
                    } catch (Exception e) {
                        healthFailures.add(e.toString());
                    }
                }
            });
            ExecutorService clients = Executors.newFixedThreadPool(16);
            Map<Integer, String> concurrent = new ConcurrentHashMap<>();
            List<String> errors = new CopyOnWriteArrayList<>();
            List<Future<?>> futures = new ArrayList<>();
            long start = System.nanoTime();
            for (int i = 0; i < 200; i++) {
                int n = i;
                futures.add(clients.submit(() -> {
                    try {
                        HttpResponse<String> r = fx.post("/v1/completions", request(n));
                        if (r.statusCode() != 200) errors.add(n + ": " + r.statusCode() + " " + r.body());
                        else concurrent.put(n, ServerFixture.text(r));
                    } catch (Exception e) {
                        errors.add(n + ": " + e);
                    }
                }));
            }
            for (Future<?> f : futures) f.get(5, TimeUnit.MINUTES);
            double seconds = (System.nanoTime() - start) / 1e9;
            clients.shutdown();
            running.set(false);
            health.join();
            assertThat(errors).isEmpty();
            assertThat(concurrent).isEqualTo(alone);
            assertThat(healthFailures).isEmpty();
            REPORT.put("1 concurrency", String.format("| 16 clients, mixed modes and sampling | 200 requests (+200 served alone first) | "
                    + "%d answers equal to the served-alone ones, %d errors; %d health checks meanwhile, all 200; %.1f s |",
                    concurrent.size(), errors.size(), healthChecks.get(), seconds));
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
                refused++;
            }
            assertThat(fx.get("/health").statusCode()).isEqualTo(200);
            assertThat(fx.metric("specdiff4j_requests_rejected_total")).isEqualTo(refused);
            running.close();
            fx.awaitRunning(1); // the queued request got the slot
            queued.close();
            fx.awaitRunning(0);
            assertThat(fx.metric("specdiff4j_requests_cancelled_total")).isEqualTo(2);
            REPORT.put("2 admission", "| 1 slot, 1 queue place, both taken by long streams | " + refused
                    + " further requests | all " + refused + " answered 429 queue_full; /health 200 meanwhile; both hung-up streams cancelled |");
        }
    }

    @Test
    void faultyClientsDoNotTakeTheServerDownOrLeak() throws Exception {
        int rounds = 4;
        int hangUps = 6;
        int stalls = 10;
        int oversized = 3;
        int maxTokens = ServerFixture.LONG_CONTEXT - 100;
        try (ServerFixture fx = ServerFixture.longContext(ServerFixture.settings().withCapacity(2, 64, Duration.ofMinutes(5)))) {
            for (int i = 0; i < 5; i++) fx.post("/v1/completions", "{\"prompt\": \"warm\", \"max_tokens\": 20}");
            long heapBefore = usedHeap();
            for (int round = 0; round < rounds; round++) {
                // 1. clients that hang up mid-stream: a long-context generation cannot finish before they do
                for (int i = 0; i < hangUps; i++) {
                    try (Socket s = RawHttp.open(fx)) {
                        RawHttp.write(s, RawHttp.post("/v1/completions", longStream(maxTokens)));
                        BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
                        assertThat(in.readLine()).isEqualTo("HTTP/1.1 200 OK");
                        for (String line; !(line = in.readLine()).startsWith("data: "); ) {
                            // headers and chunk sizes, up to the first event
                        }
                    }
                }
                // 2. clients that send half a request and stall
                List<Socket> stalled = new ArrayList<>();
                for (int i = 0; i < stalls; i++) {
                    Socket s = RawHttp.open(fx);
                    RawHttp.write(s, "POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                            + "Content-Length: 500\r\n\r\n{\"prompt\": \"hal");
                    stalled.add(s);
                }
                // 3. 10 MB bodies: refused from the declared length, before a byte of the body is read
                for (int i = 0; i < oversized; i++) {
                    try (Socket s = RawHttp.open(fx)) {
                        RawHttp.write(s, "POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                                + "Content-Length: " + (10 << 20) + "\r\n\r\n");
                        s.setSoTimeout(10_000);
                        assertThat(new String(s.getInputStream().readNBytes(12), StandardCharsets.US_ASCII)).isEqualTo("HTTP/1.1 413");
                    }
                }
                // the server still answers well-formed requests while all that goes on
                HttpResponse<String> fine = fx.post("/v1/completions", "{\"prompt\": \"still here\", \"max_tokens\": 10, \"temperature\": 0}");
                assertThat(fine.statusCode()).isEqualTo(200);
                assertThat(fx.get("/health").statusCode()).isEqualTo(200);
                for (Socket s : stalled) s.close();
            }
            fx.awaitRunning(0);
            int disconnects = rounds * hangUps;
            assertThat(fx.metric("specdiff4j_requests_cancelled_total")).as("every abandoned stream cancelled").isEqualTo(disconnects);
            assertThat(fx.metric("specdiff4j_generated_tokens_total")).as("tokens generated in all")
                    .isLessThan((long) disconnects * maxTokens / 10);
            assertThat(fx.metric("specdiff4j_requests_failed_total")).isZero();
            long heapAfter = usedHeap();
            REPORT.put("3 faults", String.format("| %d rounds of: %d streams hung up after the first event, %d half-sent stalled requests, "
                    + "%d 10 MB bodies, 1 normal request | %d requests, %d connections | %d of %d hung-up streams cancelled "
                    + "(%d tokens generated in all of them, of %d asked), %d stalls, %d bodies refused 413, 0 server failures; "
                    + "heap after GC %.1f MiB before, %.1f MiB after (measured, not asserted) |",
                    rounds, hangUps, stalls, oversized, rounds * (hangUps + oversized + 1) + 5, rounds * (hangUps + stalls + oversized + 1) + 5,
                    fx.metric("specdiff4j_requests_cancelled_total"), disconnects, fx.metric("specdiff4j_generated_tokens_total"),
                    (long) disconnects * maxTokens, rounds * stalls, rounds * oversized, heapBefore / 1048576.0, heapAfter / 1048576.0));
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

    private static long usedHeap() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
