package dev.specdiff4j.bench.cli;

import dev.specdiff4j.bench.DecodeBenchmark;
import dev.specdiff4j.bench.GgufExports;
import dev.specdiff4j.bench.LlamaCppSlots;
import dev.specdiff4j.bench.PromptSet;
import dev.specdiff4j.bench.Samples;
import dev.specdiff4j.cli.DebugOption;
import dev.specdiff4j.cli.DemoModels;
import dev.specdiff4j.cli.LoadingOptions;
import dev.specdiff4j.engine.api.Cancellation;
import dev.specdiff4j.engine.api.GenerationConfig;
import dev.specdiff4j.engine.api.GenerationListener;
import dev.specdiff4j.engine.api.Generator;
import dev.specdiff4j.engine.api.Mode;
import dev.specdiff4j.engine.api.ModelSpec;
import dev.specdiff4j.engine.batch.BatchSettings;
import dev.specdiff4j.engine.decoding.AutoregressiveDecoder;
import dev.specdiff4j.engine.decoding.SamplingConfig;
import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.json.Json;
import dev.specdiff4j.server.CompletionServer;
import dev.specdiff4j.server.ServerSettings;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

@Command(name = "concurrency", mixinStandardHelpOptions = true,
        description = {"Continuous batching under load: the demo target behind `serve`'s server (mode ar, or sd with speculation inside the batch; greedy) with 1, 2, 4, ... clients",
            "each sending requests back to back. Per level: aggregate tokens/s, p50/p99 request latency, the mean batch size; every answer",
            "is checked against the same prompt served alone. Also plain decoding without the scheduler (the alone path's cost).",
            "With --ggml-lib, llama.cpp serves the same requests with as many parallel slots as the most clients (llama-server --parallel N's",
            "loop, in this JVM through FFM, no HTTP on its side), interleaved with ours level by level (A B B A). A warm-up level at the",
            "most clients runs first and is not recorded."})
final class BenchConcurrency implements Callable<Integer> {
    @Mixin
    DebugOption debug;

    @Option(names = "--clients", split = ",", defaultValue = "1,2,4,8,16", description = "Concurrency levels (default: ${DEFAULT-VALUE}).")
    List<Integer> levels;

    @Option(names = "--requests", defaultValue = "2", description = "Requests per client per level (default: ${DEFAULT-VALUE}).")
    int requestsPerClient;

    @Option(names = "--tokens", defaultValue = "48", description = "max_tokens of each request (default: ${DEFAULT-VALUE}).")
    int tokens;

    @Option(names = "--threads", defaultValue = "2", description = "Kernel threads (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--model", description = {"The target: a model folder or GGUF file, or " + DecodeBenchmark.GPT2_SMALL
            + " (random weights, 124 M parameters, in --dtype) (default: the demo target)."})
    String model;

    @Option(names = "--dtype", defaultValue = "f16", description = "The weights of --model " + DecodeBenchmark.GPT2_SMALL + " (default: ${DEFAULT-VALUE}).")
    String dtype;

    @Option(names = "--work", defaultValue = "target/bench-work", description = "Folder for the random model's files (default: ${DEFAULT-VALUE}).")
    Path work;

    @Option(names = "--ggml-lib", paramLabel = "DIR", defaultValue = "${env:SPECDIFF4J_GGML_LIB}", description = {"The bins/linux-x64 folder of "
            + "@node-llama-cpp/linux-x64 for the llama.cpp parallel-slots comparator (default: $SPECDIFF4J_GGML_LIB; without it", "that comparator is left out)."})
    Path ggmlLib;

    @Option(names = "--no-llama", description = "Leave out the llama.cpp comparator.")
    boolean noLlama;

    @Option(names = "--repeats", defaultValue = "1", description = "A B B A blocks per level with llama.cpp (each engine runs 2 × this); "
            + "without llama.cpp, runs per level (default: ${DEFAULT-VALUE}).")
    int repeats;

    @Option(names = "--out", description = "Folder for NAME.json and the plots NAME-throughput.png, NAME-latency.png (none: print only).")
    Path out;

    @Option(names = "--name", defaultValue = "concurrency", description = "File name stem of the results in --out (default: ${DEFAULT-VALUE}).")
    String name = "concurrency";

    @Option(names = "--mode", defaultValue = "ar", description = "ar, or sd (speculation inside the batch with the AR drafter) "
            + "(default: ${DEFAULT-VALUE}).")
    String mode;

    @Option(names = "--ar-drafter", description = "The AR drafter for --mode sd (default: the demo AR drafter).")
    Path arDrafter;

    @Option(names = "--gamma", defaultValue = "4", description = "γ of --mode sd (default: ${DEFAULT-VALUE}).")
    int gamma;

    @Option(names = "--draft-rows", description = "BatchSettings.draftRows: with n greedy speculating sequences each drafts "
            + "min(γ, draft rows ÷ n²) tokens (default: the scheduler's).")
    Integer draftRows;

    /** One run of one engine at one concurrency level. */
    record Run(int requests, long generated, double seconds, double[] latenciesMs, long passes, long batchTokens, int mismatches) {
        double tokensPerSecond() {
            return generated / seconds;
        }
    }

    /** One concurrency level: our runs and llama.cpp's (none without the comparator), in the order they ran. */
    record Level(int clients, List<Run> ours, List<Run> llama) {
        double tokensPerSecond() {
            return medianRate(ours);
        }

        double llamaTokensPerSecond() {
            return llama.isEmpty() ? Double.NaN : medianRate(llama);
        }

        /** ours ÷ llama.cpp of each A B B A pair, sorted. */
        double[] pairedRatios() {
            double[] r = new double[llama.size()];
            for (int i = 0; i < r.length; i++) r[i] = ours.get(i).tokensPerSecond() / llama.get(i).tokensPerSecond();
            Arrays.sort(r);
            return r;
        }

        int requests() {
            return ours.get(0).requests;
        }

        double p50Ms() {
            return percentile(pooled(ours), 0.50);
        }

        double p99Ms() {
            return percentile(pooled(ours), 0.99);
        }

        double meanBatch() {
            return meanBatch(ours);
        }

        int mismatches() {
            return ours.stream().mapToInt(Run::mismatches).sum();
        }

        static double medianRate(List<Run> runs) {
            return Samples.of(runs.stream().mapToDouble(Run::tokensPerSecond).toArray()).median();
        }

        static double[] pooled(List<Run> runs) {
            return runs.stream().flatMapToDouble(r -> Arrays.stream(r.latenciesMs)).sorted().toArray();
        }

        static double meanBatch(List<Run> runs) {
            long passes = runs.stream().mapToLong(Run::passes).sum();
            return passes == 0 ? 0 : (double) runs.stream().mapToLong(Run::batchTokens).sum() / passes;
        }
    }


    @Override
    public Integer call() throws Exception {
        System.out.print(run());
        return 0;
    }

    String run() throws Exception {
        int checkedThreads = LoadingOptions.checkThreads("--threads", threads);
        if (repeats < 1) throw new IllegalArgumentException("--repeats must be at least 1, not " + repeats);
        Path target = target();
        List<String> prompts = PromptSet.named("heldout");
        Mode requestMode = Mode.parse(mode);
        if (requestMode == Mode.SPECDIFF) throw new IllegalArgumentException("--mode takes ar or sd");
        Path drafter = requestMode == Mode.SD ? (arDrafter != null ? arDrafter : DemoModels.arDrafter()) : null;
        ModelSpec spec = new ModelSpec(target, null, drafter, null, null, checkedThreads, 0);
        BatchSettings defaults = BatchSettings.defaults();
        BatchSettings batch = draftRows == null ? defaults
                : new BatchSettings(defaults.maxSequences(), defaults.stepTokens(), defaults.kvBudgetBytes(), draftRows);
        boolean withLlama = !noLlama && ggmlLib != null;
        if (!noLlama && ggmlLib == null) System.err.println("bench concurrency: no --ggml-lib and no SPECDIFF4J_GGML_LIB: the llama.cpp comparator is left out");
        try (Generator generator = Generator.open(spec, batch)) {
            int maxClients = levels.stream().mapToInt(Integer::intValue).max().orElse(1);
            ServerSettings settings = ServerSettings.defaults("bench").withAddress("127.0.0.1", 0)
                    .withCapacity(maxClients, 4 * maxClients, Duration.ofMinutes(10))
                    .withLimits(1 << 20, generator.target().contextLength(), Duration.ofMinutes(10)).withDefaults(Mode.AR, 1, 1);
            try (CompletionServer server = CompletionServer.start(generator, settings);
                 LlamaCppSlots llama = withLlama ? new LlamaCppSlots(ggmlLib, GgufExports.f16(target), checkedThreads, maxClients, generator.eosId()) : null;
                 Client client = new Client(server.port(), tokens, requestMode == Mode.SD ? Map.of("mode", "sd", "gamma", gamma) : Map.of("mode", "ar"))) {
                int distinct = Math.min(prompts.size(), maxClients * requestsPerClient);
                List<String> alone = new ArrayList<>();
                List<int[]> promptIds = new ArrayList<>();
                List<int[]> llamaAlone = new ArrayList<>();
                for (int i = 0; i < distinct; i++) {
                    alone.add(client.complete(prompts.get(i)).text); // also the warm-up
                    promptIds.add(generator.tokenizer().encodeForModel(prompts.get(i))); // what the server feeds our engine
                    if (llama != null) llamaAlone.add(llama.complete(promptIds.get(i), tokens));
                }
                Alone plain = alone(generator, prompts.get(0));
                // warm-up at the largest level, not recorded: every batch width the sweep uses gets compiled first
                level(generator, client, maxClients, prompts, alone);
                if (llama != null) llamaLevel(llama, maxClients, promptIds, llamaAlone);
                List<Level> results = new ArrayList<>();
                for (int clients : levels) {
                    List<Run> ours = new ArrayList<>();
                    List<Run> theirs = new ArrayList<>();
                    for (int r = 0; r < repeats; r++) {
                        if (llama == null) {
                            ours.add(level(generator, client, clients, prompts, alone));
                            continue;
                        }
                        // A B B A: ours, llama.cpp, llama.cpp, ours; pairs (1st A, 1st B) and (2nd A, 2nd B)
                        ours.add(level(generator, client, clients, prompts, alone));
                        theirs.add(llamaLevel(llama, clients, promptIds, llamaAlone));
                        Run b = llamaLevel(llama, clients, promptIds, llamaAlone);
                        ours.add(level(generator, client, clients, prompts, alone));
                        theirs.add(b);
                    }
                    results.add(new Level(clients, ours, theirs));
                    System.err.printf(Locale.ROOT, "bench concurrency: %d clients: %.1f tok/s%s%n", clients, results.getLast().tokensPerSecond(),
                            llama == null ? "" : String.format(Locale.ROOT, ", llama.cpp %.1f tok/s", results.getLast().llamaTokensPerSecond()));
                }
                if (out != null) write(results, plain);
                return markdown(generator, llama, results, plain, checkedThreads);
            }
        }
    }

    /** --model as a path, or the random GPT-2 small in --dtype, or the demo target. */
    private Path target() throws java.io.IOException {
        if (model == null) return DemoModels.target();
        if (model.equals(DecodeBenchmark.GPT2_SMALL)) {
            Files.createDirectories(work);
            return DecodeBenchmark.randomGpt2Small(work, DemoModels.tokenizer(), DType.parse(dtype), System.err);
        }
        return Path.of(model);
    }

    /**
     * One client alone, in this JVM without the server: {@link AutoregressiveDecoder} directly (no scheduler) and
     * {@link Generator#generate} (through the batch scheduler), alternating, 5 pairs; median tokens/s of each.
     */
    record Alone(double plain, double scheduled) {
    }

    private Alone alone(Generator generator, String prompt) {
        int[] ids = generator.tokenizer().encode(prompt);
        GenerationConfig config = GenerationConfig.builder().mode(Mode.AR).maxTokens(tokens).stopAtEos(false).build();
        double[] plain = new double[5];
        double[] scheduled = new double[5];
        for (int r = 0; r < 5; r++) {
            plain[r] = new AutoregressiveDecoder(generator.target()).decode(ids, tokens, SamplingConfig.greedy(), -1, t -> true, () -> false)
                    .tokensPerSecond();
            scheduled[r] = generator.generate(ids, config, GenerationListener.NONE, new Cancellation()).stats().tokensPerSecond();
        }
        Arrays.sort(plain);
        Arrays.sort(scheduled);
        return new Alone(plain[2], scheduled[2]);
    }

    private Run level(Generator generator, Client client, int clients, List<String> prompts, List<String> alone) throws Exception {
        return level(generator, client, clients, requestsPerClient, prompts, alone);
    }

    /**
     * {@code clients} threads each sending {@code requestsPerClient} requests back to back through {@code client}; every
     * answer compared with the same prompt's answer in {@code alone}.
     */
    static Run level(Generator generator, Client shared, int clients, int requestsPerClient, List<String> prompts, List<String> alone) throws Exception {
        // connections of its own: one left idle past the server's idle timeout (while another server ran) could be closed
        // under a request that is being sent on it
        try (Client client = shared.fresh()) {
            return send(generator, client, clients, requestsPerClient, prompts, alone);
        }
    }

    private static Run send(Generator generator, Client client, int clients, int requestsPerClient, List<String> prompts, List<String> alone)
            throws Exception {
        long stepsBefore = generator.batchStats().steps();
        long generatedBefore = generator.batchStats().generated();
        List<Future<List<Answer>>> futures = new ArrayList<>();
        long start = System.nanoTime();
        try (ExecutorService pool = Executors.newFixedThreadPool(clients)) {
            for (int c = 0; c < clients; c++) {
                int first = c * requestsPerClient;
                futures.add(pool.submit(() -> {
                    List<Answer> answers = new ArrayList<>();
                    for (int r = 0; r < requestsPerClient; r++) answers.add(client.complete(prompts.get((first + r) % alone.size())));
                    return answers;
                }));
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        List<Double> latencies = new ArrayList<>();
        long generated = 0;
        int mismatches = 0;
        for (int c = 0; c < clients; c++) {
            List<Answer> answers = futures.get(c).get();
            for (int r = 0; r < answers.size(); r++) {
                Answer a = answers.get(r);
                latencies.add(a.millis);
                generated += a.tokens;
                if (!a.text.equals(alone.get((c * requestsPerClient + r) % alone.size()))) mismatches++;
            }
        }
        return new Run(latencies.size(), generated, seconds, latencies.stream().mapToDouble(Double::doubleValue).toArray(),
                generator.batchStats().steps() - stepsBefore, generator.batchStats().generated() - generatedBefore, mismatches);
    }

    /** The same clients and prompts against llama.cpp's slots; answers compared with the ones it gave each prompt alone. */
    private Run llamaLevel(LlamaCppSlots llama, int clients, List<int[]> promptIds, List<int[]> alone) throws Exception {
        long[] before = llama.counts();
        List<Future<List<double[]>>> futures = new ArrayList<>();
        long start = System.nanoTime();
        try (ExecutorService pool = Executors.newFixedThreadPool(clients)) {
            for (int c = 0; c < clients; c++) {
                int first = c * requestsPerClient;
                futures.add(pool.submit(() -> {
                    List<double[]> answers = new ArrayList<>(); // {millis, tokens, equal to alone}
                    for (int r = 0; r < requestsPerClient; r++) {
                        int p = (first + r) % alone.size();
                        long t0 = System.nanoTime();
                        int[] answer = llama.complete(promptIds.get(p), tokens);
                        answers.add(new double[] {(System.nanoTime() - t0) / 1e6, answer.length, Arrays.equals(answer, alone.get(p)) ? 1 : 0});
                    }
                    return answers;
                }));
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        long[] after = llama.counts();
        List<Double> latencies = new ArrayList<>();
        long generated = 0;
        int mismatches = 0;
        for (Future<List<double[]>> f : futures) {
            for (double[] a : f.get()) {
                latencies.add(a[0]);
                generated += (long) a[1];
                if (a[2] == 0) mismatches++;
            }
        }
        return new Run(latencies.size(), generated, seconds, latencies.stream().mapToDouble(Double::doubleValue).toArray(),
                after[0] - before[0], after[1] - before[1], mismatches);
    }

    /** Nearest-rank percentile. */
    static double percentile(double[] sorted, double p) {
        int rank = (int) Math.ceil(p * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    record Answer(String text, int tokens, double millis) {
    }

    /** A plain HTTP client of the completions endpoint (greedy, the given mode). */
    record Client(HttpClient http, URI uri, int tokens, Map<String, Object> mode) implements AutoCloseable {
        Client(int port, int tokens, Map<String, Object> mode) {
            this(newHttpClient(), URI.create("http://127.0.0.1:" + port + "/v1/completions"), tokens, mode);
        }

        private static HttpClient newHttpClient() {
            return HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        }

        /** The same requests over new connections. */
        Client fresh() {
            return new Client(newHttpClient(), uri, tokens, mode);
        }

        @Override
        public void close() {
            http.close();
        }

        @SuppressWarnings("unchecked")
        Answer complete(String prompt) throws Exception {
            String body = Json.write(Map.of("prompt", prompt, "max_tokens", tokens, "temperature", 0,
                    "specdiff4j", mode));
            long start = System.nanoTime();
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(10)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            double millis = (System.nanoTime() - start) / 1e6;
            if (r.statusCode() != 200) throw new IllegalStateException("the server answered " + r.statusCode() + ": " + r.body());
            Map<String, Object> json = Json.parseObject(r.body());
            String text = (String) ((Map<String, Object>) ((List<Object>) json.get("choices")).get(0)).get("text");
            int completion = ((Number) ((Map<String, Object>) json.get("usage")).get("completion_tokens")).intValue();
            return new Answer(text, completion, millis);
        }
    }

    private String markdown(Generator generator, LlamaCppSlots llama, List<Level> results, Alone plain, int threadCount) {
        StringBuilder b = new StringBuilder();
        Level one = results.stream().filter(l -> l.clients == 1).findFirst().orElse(results.get(0));
        b.append(String.format(Locale.ROOT, "%s behind `serve`'s server in this JVM on loopback, %d kernel threads, mode %s (γ %d when sd; draft rows setting: %d), greedy, "
                + "%d tokens per request, %d requests per client sent back to back; wall time on a shared machine. Latency: from sending a "
                + "request to its complete answer. Mean batch: tokens generated per batched pass. One request alone in this JVM, no server "
                + "(median of 5 alternating pairs): plain decoding without the scheduler %.1f tok/s, `Generator.generate` through the "
                + "scheduler %.1f tok/s (%.3f×).%n%n", generator.describe(), threadCount, mode, gamma, generator.batchSettings().draftRows(), tokens, requestsPerClient, plain.plain(),
                plain.scheduled(), plain.scheduled() / plain.plain()));
        if (llama != null) {
            b.append(String.format(Locale.ROOT, "llama.cpp: %s, on the same weights (%s), the same prompt tokens and request counts, greedy, "
                    + "called in this JVM with no HTTP (our side goes through the server). Each level ran A B B A %d time(s) (A = specdiff4j, "
                    + "B = llama.cpp); tok/s are medians of each engine's runs, ÷ llama.cpp the median of the paired ratios (range). Answers ≠ "
                    + "alone: answers that differ from the same engine's answer to the prompt alone.%n%n", llama.describe(),
                    model == null || !model.equals(DecodeBenchmark.GPT2_SMALL) ? "F16 GGUF export" : "the same GGUF file", repeats));
            b.append("| clients | requests | specdiff4j tok/s | × 1 client | p50 ms | p99 ms | mean batch | ≠ alone | llama.cpp tok/s | × 1 client | p50 ms | p99 ms | mean batch | ≠ alone | ÷ llama.cpp |\n");
            b.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
            for (Level l : results) {
                double[] ratios = l.pairedRatios();
                double[] theirs = Level.pooled(l.llama);
                b.append(String.format(Locale.ROOT, "| %d | %d | %.1f | %.2f | %.0f | %.0f | %.1f | %d | %.1f | %.2f | %.0f | %.0f | %.1f | %d | %.2f× [%.2f–%.2f] |%n",
                        l.clients, l.requests(), l.tokensPerSecond(), l.tokensPerSecond() / one.tokensPerSecond(), l.p50Ms(), l.p99Ms(), l.meanBatch(),
                        l.mismatches(), l.llamaTokensPerSecond(), l.llamaTokensPerSecond() / one.llamaTokensPerSecond(), percentile(theirs, 0.5),
                        percentile(theirs, 0.99), Level.meanBatch(l.llama), l.llama.stream().mapToInt(Run::mismatches).sum(), Samples.of(ratios).median(),
                        ratios[0], ratios[ratios.length - 1]));
            }
        } else {
            b.append("| clients | requests | aggregate tok/s | × 1 client | p50 latency ms | p99 latency ms | mean batch | answers ≠ alone |\n");
            b.append("|---:|---:|---:|---:|---:|---:|---:|---:|\n");
            for (Level l : results) {
                b.append(String.format(Locale.ROOT, "| %d | %d | %.1f | %.2f | %.0f | %.0f | %.1f | %d |%n", l.clients, l.requests(),
                        l.tokensPerSecond(), l.tokensPerSecond() / one.tokensPerSecond(), l.p50Ms(), l.p99Ms(), l.meanBatch(), l.mismatches()));
            }
        }
        if (out != null) {
            b.append("\n![throughput vs clients](bench/").append(name).append("-throughput.png)\n\n![latency vs clients](bench/").append(name)
                    .append("-latency.png)\n");
        }
        return b.toString();
    }

    private void write(List<Level> results, Alone plain) throws Exception {
        Files.createDirectories(out);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Level l : results) {
            Map<String, Object> row = new java.util.LinkedHashMap<>(Map.of("clients", l.clients, "requests", l.requests(),
                    "tokens_per_second", l.tokensPerSecond(), "runs_tokens_per_second", l.ours.stream().map(Run::tokensPerSecond).toList(),
                    "p50_ms", l.p50Ms(), "p99_ms", l.p99Ms(), "mean_batch", l.meanBatch(), "mismatches", l.mismatches()));
            if (!l.llama.isEmpty()) {
                double[] theirs = Level.pooled(l.llama);
                row.put("llama_tokens_per_second", l.llamaTokensPerSecond());
                row.put("llama_runs_tokens_per_second", l.llama.stream().map(Run::tokensPerSecond).toList());
                row.put("llama_p50_ms", percentile(theirs, 0.5));
                row.put("llama_p99_ms", percentile(theirs, 0.99));
                row.put("llama_mean_batch", Level.meanBatch(l.llama));
                row.put("paired_ratios", Arrays.stream(l.pairedRatios()).boxed().toList());
            }
            rows.add(row);
        }
        Files.writeString(out.resolve(name + ".json"), Json.writePretty(Map.of("mode", mode, "tokens", tokens, "requests_per_client", requestsPerClient,
                "model", model == null ? "demo target" : model, "alone_plain_tokens_per_second", plain.plain(),
                "alone_scheduled_tokens_per_second", plain.scheduled(), "levels", rows)) + "\n");
        double[] x = results.stream().mapToDouble(Level::clients).toArray();
        boolean withLlama = !results.get(0).llama.isEmpty();
        XYChart throughput = new XYChartBuilder().width(800).height(450).title("Aggregate throughput (mode " + mode + ", greedy)")
                .xAxisTitle("concurrent clients").yAxisTitle("tokens/s").build();
        throughput.addSeries("specdiff4j serve", x, results.stream().mapToDouble(Level::tokensPerSecond).toArray());
        if (withLlama) throughput.addSeries("llama.cpp parallel slots", x, results.stream().mapToDouble(Level::llamaTokensPerSecond).toArray());
        throughput.addSeries("1 client × clients (ideal)", x, Arrays.stream(x).map(c -> c * results.get(0).tokensPerSecond()
                / results.get(0).clients).toArray());
        throughput.getStyler().setYAxisMin(0.0);
        BitmapEncoder.saveBitmapWithDPI(throughput, out.resolve(name + "-throughput.png").toString(), BitmapEncoder.BitmapFormat.PNG, 110);
        XYChart latency = new XYChartBuilder().width(800).height(450).title("Request latency").xAxisTitle("concurrent clients")
                .yAxisTitle("ms").build();
        latency.addSeries("specdiff4j p50", x, results.stream().mapToDouble(Level::p50Ms).toArray());
        latency.addSeries("specdiff4j p99", x, results.stream().mapToDouble(Level::p99Ms).toArray());
        if (withLlama) {
            latency.addSeries("llama.cpp p50", x, results.stream().mapToDouble(l -> percentile(Level.pooled(l.llama), 0.5)).toArray());
            latency.addSeries("llama.cpp p99", x, results.stream().mapToDouble(l -> percentile(Level.pooled(l.llama), 0.99)).toArray());
        }
        latency.getStyler().setYAxisMin(0.0);
        BitmapEncoder.saveBitmapWithDPI(latency, out.resolve(name + "-latency.png").toString(), BitmapEncoder.BitmapFormat.PNG, 110);
    }
}
