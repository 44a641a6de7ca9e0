package dev.specdiff4j.server;

import dev.specdiff4j.json.Json;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The server's load and fault drill, run against a server on this machine's loopback: many concurrent clients whose
 * answers must equal those served alone, then rounds of faulty clients (hang-ups mid-stream, half-sent requests that
 * stall, oversized bodies) with a normal request and a health check in each round. {@code ServerLoadTest} asserts on
 * what it returns (tiny models); {@code bench server}, and so {@code bench report}, prints it (the demo models). It
 * reports what happened and asserts nothing itself. The heap figures are this JVM's, so they mean something only
 * when the server runs in it.
 */
public final class ServerDrill {
    private static final Pattern METRIC = Pattern.compile("(?m)^(specdiff4j_\\w+) (\\S+)$");

    /**
     * @param clients        concurrent clients of the load part
     * @param requests       requests of the load part (each also served alone first)
     * @param rounds         rounds of the fault part
     * @param hangUps        streams per round whose client hangs up after the first event
     * @param stalls         connections per round that send half a request and stall
     * @param oversized      requests per round that declare a 10 MB body
     * @param hangUpTokens   max_tokens of a hung-up stream: more than the server can generate before the hang-up
     */
    public record Plan(int clients, int requests, int rounds, int hangUps, int stalls, int oversized, int hangUpTokens) {
        public Plan {
            if (clients < 1 || requests < 0 || rounds < 1 || hangUps < 0 || stalls < 0 || oversized < 0 || hangUpTokens < 1) {
                throw new IllegalArgumentException("every count of the drill must be positive (clients, rounds, max_tokens) or at least 0");
            }
        }
    }

    /** The load part: how many answers equal the served-alone ones, errors, health checks made meanwhile. */
    public record Load(int requests, int equalToAlone, List<String> errors, int healthChecks, List<String> healthFailures, double seconds) {
    }

    /**
     * The fault part.
     *
     * @param stallsClosedByServer stalled connections of the last round that the server closed by itself (idle timeout)
     * @param heapBeforeBytes      used heap after a GC before the rounds
     * @param heapAfterBytes       used heap after a GC after the rounds
     */
    public record Faults(int requests, int connections, int hangUps, long cancelled, long tokensGenerated, long tokensAsked, int stalls,
                         int lastRoundStalls, int stallsClosedByServer, int oversizedRefused, int normalAnswered, int healthOk,
                         long serverFailures, long heapBeforeBytes, long heapAfterBytes, List<String> problems) {
    }

    /** What the drill found; a part that was not run is null. */
    public record Result(Plan plan, Load load, Faults faults) {
        /** A markdown table of what the server held, a row per part that ran. */
        public String markdown() {
            StringBuilder md = new StringBuilder("| Load | Requests | Outcome |\n|---|---|---|\n");
            if (load != null) md.append(String.format(Locale.ROOT, "| %d clients, modes ar/sd/specdiff, greedy and seeded sampling | %d requests (+%d served alone "
                    + "first) | %d answers equal to the served-alone ones, %d errors; %d health checks meanwhile, %d failed; %.1f s |%n",
                    plan.clients, load.requests, load.requests, load.equalToAlone, load.errors.size(), load.healthChecks,
                    load.healthFailures.size(), load.seconds));
            if (faults != null) md.append(String.format(Locale.ROOT, "| %d rounds of: %d streams hung up after the first event, %d half-sent stalled requests, "
                    + "%d 10 MB bodies, 1 normal request, 1 health check | %d requests, %d connections | %d of %d hung-up streams cancelled "
                    + "(%d tokens generated in the rounds, the normal requests' included, of %d asked by the hung-up streams); %d of %d bodies refused 413; %d of %d normal requests answered, "
                    + "%d of %d health checks 200; %d of the last round's %d stalled connections closed by the server's idle timeout; "
                    + "%d server failures; heap after GC %.1f MiB before, %.1f MiB after |%n",
                    plan.rounds, plan.hangUps, plan.stalls, plan.oversized, faults.requests, faults.connections, faults.cancelled,
                    faults.hangUps, faults.tokensGenerated, faults.tokensAsked, faults.oversizedRefused, plan.rounds * plan.oversized,
                    faults.normalAnswered, plan.rounds, faults.healthOk, plan.rounds, faults.stallsClosedByServer, faults.lastRoundStalls,
                    faults.serverFailures, faults.heapBeforeBytes / 1048576.0, faults.heapAfterBytes / 1048576.0));
            return md.toString();
        }
    }

    private final int port;
    private final Duration idleTimeout;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /**
     * @param port        the server's port on 127.0.0.1
     * @param idleTimeout the server's idle timeout: how long the drill waits for it to close stalled connections
     */
    public ServerDrill(int port, Duration idleTimeout) {
        this.port = port;
        this.idleTimeout = idleTimeout;
    }

    /** Both parts; the load part needs a server with both drafters, the fault part a target whose context outlasts a hang-up. */
    public Result run(Plan plan) throws IOException, InterruptedException {
        return new Result(plan, load(plan), faults(plan));
    }

    /** Request {@code i} of the load part: every mode, greedy and seeded sampling, a few lengths and draft lengths. */
    public static String loadRequest(int i) {
        String mode = new String[] {"ar", "sd", "specdiff"}[i % 3];
        String sampling = i % 2 == 0 ? "\"temperature\": 0" : "\"temperature\": 0.9, \"top_p\": 0.95, \"seed\": " + i;
        return "{\"prompt\": \"Request number " + (i % 17) + " says\", \"max_tokens\": " + (8 + i % 9) + ", " + sampling
                + ", \"specdiff4j\": {\"mode\": \"" + mode + "\", \"gamma\": " + (2 + i % 5) + "}}";
    }

    public Load load(Plan plan) throws IOException, InterruptedException {
        Map<Integer, String> alone = new HashMap<>();
        List<String> errors = new CopyOnWriteArrayList<>();
        for (int i = 0; i < plan.requests; i++) {
            HttpResponse<String> r = post(loadRequest(i));
            if (r.statusCode() == 200) alone.put(i, text(r));
            else errors.add(i + " alone: " + r.statusCode() + " " + r.body());
        }
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger healthChecks = new AtomicInteger();
        List<String> healthFailures = new CopyOnWriteArrayList<>();
        Thread health = Thread.ofPlatform().daemon().start(() -> {
            while (running.get()) {
                try {
                    HttpResponse<String> h = get("/health/live");
                    if (h.statusCode() != 200) healthFailures.add(h.statusCode() + " " + h.body());
                } catch (IOException e) {
                    healthFailures.add(e.toString());
                } catch (InterruptedException e) {
                    return;
                }
                healthChecks.incrementAndGet();
            }
        });
        Map<Integer, String> concurrent = new ConcurrentHashMap<>();
        long start = System.nanoTime();
        try (ExecutorService clients = Executors.newFixedThreadPool(plan.clients)) {
            List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < plan.requests; i++) {
                int n = i;
                futures.add(clients.submit(() -> {
                    try {
                        HttpResponse<String> r = post(loadRequest(n));
                        if (r.statusCode() != 200) errors.add(n + ": " + r.statusCode() + " " + r.body());
                        else concurrent.put(n, text(r));
                    } catch (Exception e) {
                        errors.add(n + ": " + e);
                    }
                }));
            }
            for (Future<?> f : futures) {
                try {
                    f.get(10, TimeUnit.MINUTES);
                } catch (Exception e) {
                    errors.add("a client did not finish: " + e);
                }
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        running.set(false);
        health.join();
        int equal = 0;
        for (var e : concurrent.entrySet()) if (e.getValue().equals(alone.get(e.getKey()))) equal++;
        for (var e : concurrent.entrySet()) {
            if (!e.getValue().equals(alone.get(e.getKey()))) errors.add(e.getKey() + ": differs from the answer served alone");
        }
        return new Load(plan.requests, equal, List.copyOf(errors), healthChecks.get(), List.copyOf(healthFailures), seconds);
    }

    public Faults faults(Plan plan) throws IOException, InterruptedException {
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < 5; i++) post("{\"prompt\": \"warm\", \"max_tokens\": 8}");
        Map<String, Double> before = metrics();
        long heapBefore = usedHeap();
        int refused = 0;
        int normal = 0;
        int healthy = 0;
        int closedByServer = 0;
        for (int round = 0; round < plan.rounds; round++) {
            // 1. clients that hang up mid-stream, after the first event
            for (int i = 0; i < plan.hangUps; i++) {
                try (Socket s = open()) {
                    write(s, rawPost("{\"prompt\": \"gone\", \"max_tokens\": " + plan.hangUpTokens + ", \"stream\": true, \"temperature\": 0}"));
                    BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
                    String status = in.readLine();
                    if (!"HTTP/1.1 200 OK".equals(status)) problems.add("a stream was answered " + status);
                    for (String line = status; line != null && !line.startsWith("data: "); line = in.readLine()) {
                        // headers and chunk sizes, up to the first event
                    }
                }
            }
            // 2. clients that send half a request and stall
            List<Socket> stalled = new ArrayList<>();
            for (int i = 0; i < plan.stalls; i++) {
                Socket s = open();
                write(s, "POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                        + "Content-Length: 500\r\n\r\n{\"prompt\": \"hal");
                stalled.add(s);
            }
            // 3. 10 MB bodies, refused from the declared length before a byte of the body is read
            for (int i = 0; i < plan.oversized; i++) {
                try (Socket s = open()) {
                    write(s, "POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
                            + (10 << 20) + "\r\n\r\n");
                    s.setSoTimeout(30_000);
                    if (new String(s.getInputStream().readNBytes(12), StandardCharsets.US_ASCII).equals("HTTP/1.1 413")) refused++;
                }
            }
            // the server still answers a well-formed request and its health check while all that goes on
            if (post("{\"prompt\": \"still here\", \"max_tokens\": 10, \"temperature\": 0}").statusCode() == 200) normal++;
            if (get("/health/live").statusCode() == 200) healthy++;
            boolean last = round == plan.rounds - 1;
            for (Socket s : stalled) {
                // the last round's stalled clients wait for the server to close them
                if (last && closedByServer(s, idleTimeout.plusSeconds(10))) closedByServer++;
                s.close();
            }
        }
        awaitIdle();
        Map<String, Double> after = metrics();
        long heapAfter = usedHeap();
        int hangUps = plan.rounds * plan.hangUps;
        return new Faults(plan.rounds * (plan.hangUps + plan.oversized + 1) + 5, plan.rounds * (plan.hangUps + plan.stalls + plan.oversized + 1) + 5,
                hangUps, delta(before, after, "specdiff4j_requests_cancelled_total"), delta(before, after, "specdiff4j_generated_tokens_total"),
                (long) hangUps * plan.hangUpTokens, plan.rounds * plan.stalls, plan.stalls, closedByServer, refused, normal,
                healthy, delta(before, after, "specdiff4j_requests_failed_total"), heapBefore, heapAfter, List.copyOf(problems));
    }

    private void awaitIdle() throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (metrics().getOrDefault("specdiff4j_running_generations", 0.0) > 0 && System.nanoTime() < deadline) Thread.sleep(10);
    }

    private static long delta(Map<String, Double> before, Map<String, Double> after, String name) {
        return Math.round(after.getOrDefault(name, 0.0) - before.getOrDefault(name, 0.0));
    }

    private Map<String, Double> metrics() throws IOException, InterruptedException {
        Map<String, Double> values = new HashMap<>();
        Matcher m = METRIC.matcher(get("/metrics").body());
        while (m.find()) values.put(m.group(1), Double.parseDouble(m.group(2)));
        return values;
    }

    private Socket open() throws IOException {
        return new Socket("127.0.0.1", port);
    }

    private static void write(Socket s, String text) throws IOException {
        s.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
        s.getOutputStream().flush();
    }

    private static String rawPost(String json) {
        return "POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
                + json.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + json;
    }

    /** Reads until the server closes the connection; true when it did (end of stream or reset) within the limit. */
    private static boolean closedByServer(Socket s, Duration limit) throws IOException {
        s.setSoTimeout((int) limit.toMillis());
        InputStream in = s.getInputStream();
        try {
            while (in.read() >= 0) {
                // whatever the server answered before closing
            }
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (SocketException e) {
            return true; // connection reset
        }
    }

    private HttpResponse<String> post(String body) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/completions")).timeout(Duration.ofMinutes(5))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(30)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @SuppressWarnings("unchecked")
    private static String text(HttpResponse<String> r) {
        Map<String, Object> body = Json.parseObject(r.body());
        return (String) ((Map<String, Object>) ((List<Object>) body.get("choices")).get(0)).get("text");
    }

    private static long usedHeap() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
