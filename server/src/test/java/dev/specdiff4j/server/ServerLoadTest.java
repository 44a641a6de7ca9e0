package dev.specdiff4j.server;

import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** Concurrency, admission control and faults: the server stays up, answers right, and does not leak. */
class ServerLoadTest {

    private static String request(int i) {
        String mode = new String[] {"ar", "sd", "specdiff"}[i % 3];
        String sampling = i % 2 == 0 ? "\"temperature\": 0" : "\"temperature\": 0.9, \"top_p\": 0.95, \"seed\": " + i;
        return "{\"prompt\": \"Request number " + (i % 17) + " says\", \"max_tokens\": " + (8 + i % 9) + ", " + sampling
                + ", \"specdiff4j\": {\"mode\": \"" + mode + "\", \"gamma\": " + (2 + i % 5) + "}}";
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
            List<String> healthFailures = new ArrayList<>();
            Thread health = Thread.ofPlatform().start(() -> {
                while (running.get()) {
                    try {
                        HttpResponse<String> h = fx.get("/health");
                        if (h.statusCode() != 200) healthFailures.add(h.statusCode() + " " + h.body());
                        healthChecks.incrementAndGet();
                        Thread.sleep(20);
                    } catch (Exception e) {
                        healthFailures.add(e.toString());
                    }
                }
            });
            ExecutorService clients = Executors.newFixedThreadPool(16);
            Map<Integer, String> concurrent = new ConcurrentHashMap<>();
            List<String> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
            List<Future<?>> futures = new ArrayList<>();
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
            clients.shutdown();
            running.set(false);
            health.join();
            assertThat(errors).isEmpty();
            assertThat(concurrent).isEqualTo(alone);
            assertThat(healthFailures).isEmpty();
            assertThat(healthChecks.get()).isGreaterThan(5);
        }
    }

    @Test
    void admissionControlAnswers429QuicklyInsteadOfPilingUp() throws Exception {
        try (ServerFixture fx = new ServerFixture(ServerFixture.settings().withCapacity(1, 1, Duration.ofSeconds(30)))) {
            ExecutorService pool = Executors.newFixedThreadPool(8);
            List<Future<HttpResponse<String>>> futures = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                futures.add(pool.submit(() -> fx.post("/v1/completions",
                        "{\"prompt\": \"slow\", \"max_tokens\": 60, \"temperature\": 0, \"specdiff4j\": {\"mode\": \"ar\"}}")));
            }
            int ok = 0;
            int busy = 0;
            for (Future<HttpResponse<String>> f : futures) {
                HttpResponse<String> r = f.get(2, TimeUnit.MINUTES);
                if (r.statusCode() == 200) ok++;
                if (r.statusCode() == 429) {
                    busy++;
                    assertThat(r.body()).contains("\"code\":\"queue_full\"").contains("retry later");
                }
            }
            pool.shutdown();
            assertThat(ok).isBetween(1, 7);
            assertThat(busy).isPositive();
            assertThat(ok + busy).isEqualTo(8);
            assertThat(fx.get("/metrics").body()).containsPattern("specdiff4j_requests_rejected_total [1-9]");
        }
    }

    @Test
    void faultyClientsDoNotTakeTheServerDownOrLeak() throws Exception {
        try (ServerFixture fx = new ServerFixture(ServerFixture.settings().withLimits(1 << 20, 1000, Duration.ofSeconds(60)))) {
            // warm up, then measure the heap
            for (int i = 0; i < 5; i++) fx.post("/v1/completions", "{\"prompt\": \"warm\", \"max_tokens\": 20}");
            long before = usedHeapAfterGc();
            for (int round = 0; round < 4; round++) {
                // 1. clients that disconnect mid-stream
                for (int i = 0; i < 6; i++) {
                    try (Socket s = new Socket("127.0.0.1", fx.server.port())) {
                        String body = "{\"prompt\": \"gone\", \"max_tokens\": 900, \"stream\": true, \"temperature\": 0.8, \"seed\": " + i + "}";
                        OutputStream out = s.getOutputStream();
                        out.write(("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                                + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
                        out.flush();
                        InputStream in = s.getInputStream();
                        byte[] some = new byte[300];
                        int read = 0;
                        while (read < 300) {
                            int n = in.read(some, read, 300 - read);
                            if (n < 0) break;
                            read += n;
                        }
                        assertThat(new String(some, 0, read, StandardCharsets.UTF_8)).startsWith("HTTP/1.1 200");
                    }
                }
                // 2. clients that send half a request and stall
                List<Socket> stalled = new ArrayList<>();
                for (int i = 0; i < 10; i++) {
                    Socket s = new Socket("127.0.0.1", fx.server.port());
                    s.getOutputStream().write("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{\"prompt\": \"hal".getBytes(StandardCharsets.UTF_8));
                    stalled.add(s);
                }
                // 3. 10 MB bodies: refused from the declared length, before a byte of the body is read (a client that kept
                //    writing would see its connection closed under it, so the request goes over a raw socket)
                for (int i = 0; i < 3; i++) {
                    try (Socket s = new Socket("127.0.0.1", fx.server.port())) {
                        s.getOutputStream().write(("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                + "Content-Length: " + (10 << 20) + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
                        s.getOutputStream().flush();
                        s.setSoTimeout(10_000);
                        byte[] head = s.getInputStream().readNBytes(12);
                        assertThat(new String(head, StandardCharsets.US_ASCII)).isEqualTo("HTTP/1.1 413");
                    }
                }
                // the server still answers well-formed requests while all that goes on
                HttpResponse<String> fine = fx.post("/v1/completions", "{\"prompt\": \"still here\", \"max_tokens\": 10, \"temperature\": 0}");
                assertThat(fine.statusCode()).isEqualTo(200);
                assertThat(fx.get("/health").statusCode()).isEqualTo(200);
                for (Socket s : stalled) s.close();
            }
            // every abandoned stream was cancelled and its slot freed
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (!fx.get("/health").body().contains("\"running\":0") && System.nanoTime() < deadline) Thread.sleep(100);
            assertThat(fx.get("/health").body()).contains("\"running\":0");
            assertThat(fx.get("/metrics").body()).containsPattern("specdiff4j_requests_cancelled_total (2[4-9]|[3-9][0-9])");
            long after = usedHeapAfterGc();
            assertThat(after - before).as("heap growth in bytes over the soak").isLessThan(24L << 20);
        }
    }

    private static long usedHeapAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(200);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
