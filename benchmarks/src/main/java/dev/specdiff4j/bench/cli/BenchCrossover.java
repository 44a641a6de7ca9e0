package dev.specdiff4j.bench.cli;

import dev.specdiff4j.bench.PromptSet;
import dev.specdiff4j.bench.Samples;
import dev.specdiff4j.cli.DebugOption;
import dev.specdiff4j.cli.DemoModels;
import dev.specdiff4j.cli.LoadingOptions;
import dev.specdiff4j.engine.api.Generator;
import dev.specdiff4j.engine.api.Mode;
import dev.specdiff4j.engine.api.ModelSpec;
import dev.specdiff4j.engine.batch.BatchSettings;
import dev.specdiff4j.json.Json;
import dev.specdiff4j.server.CompletionServer;
import dev.specdiff4j.server.ServerSettings;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * Where drafting stops paying inside the batch: the same greedy {@code sd} load served by one scheduler per setting of
 * {@link BatchSettings#draftRows()} (0 = every sequence decodes plainly), all in this JVM, the settings interleaved
 * palindromically at each level (A B C C B A), each run's tokens/s divided by the plain setting's run of the same half.
 */
@Command(name = "crossover", mixinStandardHelpOptions = true,
        description = {"Speculation inside the batch against plain batched decoding: greedy sd requests (the demo pair by default) from 1, 2, 4, ... clients",
            "served by one batch scheduler per --draft-rows setting (BatchSettings.draftRows: with n greedy speculating sequences each",
            "drafts min(γ, rows ÷ n²) tokens; 0 = plain), interleaved A B C C B A at each level after a warm-up at the most clients. Per level and setting: aggregate",
            "tokens/s and the median ratio to the first setting (paired within each half). Every answer is checked against the first",
            "setting's answer to the same prompt served alone."})
final class BenchCrossover implements Callable<Integer> {
    @Mixin
    DebugOption debug;

    @Option(names = "--clients", split = ",", defaultValue = "1,2,4,8,16", description = "Concurrency levels (default: ${DEFAULT-VALUE}).")
    List<Integer> levels;

    @Option(names = "--draft-rows", split = ",", defaultValue = "0,4,12,64", description = "Settings compared; the first is the baseline "
            + "(default: ${DEFAULT-VALUE}).")
    List<Integer> draftRows;

    @Option(names = "--requests", defaultValue = "2", description = "Requests per client per run (default: ${DEFAULT-VALUE}).")
    int requestsPerClient;

    @Option(names = "--tokens", defaultValue = "48", description = "max_tokens of each request (default: ${DEFAULT-VALUE}).")
    int tokens;

    @Option(names = "--threads", defaultValue = "2", description = "Kernel threads (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--gamma", defaultValue = "4", description = "γ of the sd requests (default: ${DEFAULT-VALUE}).")
    int gamma;

    @Option(names = "--model", description = "The target (default: the demo target).")
    Path model;

    @Option(names = "--ar-drafter", description = "The AR drafter (default: the demo AR drafter).")
    Path arDrafter;

    @Option(names = "--repeats", defaultValue = "1", description = "Palindromic blocks per level; each setting runs 2 × this (default: ${DEFAULT-VALUE}).")
    int repeats;

    @Option(names = "--out", description = "Folder for crossover.json and the plot (none: print only).")
    Path out;

    /** One served setting: its scheduler behind its own server. */
    private record Served(int draftRows, Generator generator, CompletionServer server, BenchConcurrency.Client client) implements AutoCloseable {
        @Override
        public void close() {
            try (generator; client) {
                server.close();
            }
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
        if (draftRows.isEmpty() || draftRows.stream().anyMatch(r -> r < 0)) throw new IllegalArgumentException("--draft-rows takes numbers ≥ 0");
        if (gamma < 1) throw new IllegalArgumentException("--gamma must be at least 1, not " + gamma);
        Path target = model != null ? model : DemoModels.target();
        Path drafter = arDrafter != null ? arDrafter : DemoModels.arDrafter();
        List<String> prompts = PromptSet.named("heldout");
        int maxClients = levels.stream().mapToInt(Integer::intValue).max().orElse(1);
        List<Served> served = new ArrayList<>();
        try {
            for (int rows : draftRows) served.add(serve(target, drafter, checkedThreads, maxClients, rows));
            int distinct = Math.min(prompts.size(), maxClients * requestsPerClient);
            List<String> alone = new ArrayList<>();
            for (int i = 0; i < distinct; i++) alone.add(served.get(0).client().complete(prompts.get(i)).text());
            for (Served s : served) BenchConcurrency.level(s.generator(), s.client(), maxClients, requestsPerClient, prompts, alone); // warm-up
            // runs[level][setting] in the order they ran, two per repeat (one per half of the palindrome)
            List<List<List<BenchConcurrency.Run>>> runs = new ArrayList<>();
            for (int clients : levels) {
                List<List<BenchConcurrency.Run>> perSetting = new ArrayList<>();
                for (int i = 0; i < served.size(); i++) perSetting.add(new ArrayList<>());
                for (int r = 0; r < repeats; r++) {
                    for (int i = 0; i < served.size(); i++) perSetting.get(i).add(run(served.get(i), clients, prompts, alone));
                    for (int i = served.size() - 1; i >= 0; i--) perSetting.get(i).add(run(served.get(i), clients, prompts, alone));
                }
                runs.add(perSetting);
                System.err.printf(Locale.ROOT, "bench crossover: %d clients done%n", clients);
            }
            String table = markdown(served.get(0).generator(), runs);
            if (out == null) return table;
            write(runs);
            return table + "\n![tokens/s against clients per setting](bench/crossover.png)\n";
        } finally {
            for (Served s : served) s.close();
        }
    }

    private Served serve(Path target, Path drafter, int threadCount, int maxClients, int rows) throws java.io.IOException {
        BatchSettings d = BatchSettings.defaults();
        Generator generator = Generator.open(new ModelSpec(target, null, drafter, null, null, threadCount, 0),
                new BatchSettings(d.maxSequences(), d.stepTokens(), d.kvBudgetBytes(), rows));
        try {
            ServerSettings settings = ServerSettings.defaults("bench").withAddress("127.0.0.1", 0)
                    .withCapacity(maxClients, 4 * maxClients, Duration.ofMinutes(10))
                    .withLimits(1 << 20, generator.target().contextLength(), Duration.ofMinutes(10)).withDefaults(Mode.AR, 1, 1);
            CompletionServer server = CompletionServer.start(generator, settings);
            return new Served(rows, generator, server, new BenchConcurrency.Client(server.port(), tokens, Map.of("mode", "sd", "gamma", gamma)));
        } catch (RuntimeException e) {
            generator.close();
            throw e;
        }
    }

    private BenchConcurrency.Run run(Served s, int clients, List<String> prompts, List<String> alone) throws Exception {
        return BenchConcurrency.level(s.generator(), s.client(), clients, requestsPerClient, prompts, alone);
    }

    /** Setting i's runs divided by the baseline's runs of the same position (same half of the same repeat), sorted. */
    static double[] ratios(List<BenchConcurrency.Run> setting, List<BenchConcurrency.Run> baseline) {
        double[] r = new double[setting.size()];
        for (int j = 0; j < r.length; j++) r[j] = setting.get(j).tokensPerSecond() / baseline.get(j).tokensPerSecond();
        Arrays.sort(r);
        return r;
    }

    private String markdown(Generator any, List<List<List<BenchConcurrency.Run>>> runs) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "%s; greedy sd requests (γ %d), %d tokens each, %d per client back to back, each setting behind its own "
                + "server in this JVM; %d kernel threads. Settings: BatchSettings.draftRows (with n greedy speculating "
                + "sequences each drafts min(γ, rows ÷ n²) tokens); %d is the baseline. Each cell: median tok/s of the setting's %d runs; ratio: median of its "
                + "runs ÷ the baseline's run in the same half (min–max). Mean batch: target rows generated per pass.%n%n", any.describe(), gamma,
                tokens, requestsPerClient, threads, draftRows.get(0), 2 * repeats));
        b.append("| clients |");
        for (int rows : draftRows) b.append(" rows ").append(rows).append(" tok/s |").append(rows == draftRows.get(0) ? "" : " ÷ baseline |");
        b.append(" answers ≠ alone |\n|---:|");
        for (int i = 0; i < draftRows.size(); i++) b.append(i == 0 ? "---:|" : "---:|---:|");
        b.append("---:|\n");
        for (int l = 0; l < levels.size(); l++) {
            List<List<BenchConcurrency.Run>> perSetting = runs.get(l);
            b.append("| ").append(levels.get(l)).append(" |");
            int mismatches = 0;
            for (int i = 0; i < draftRows.size(); i++) {
                List<BenchConcurrency.Run> rs = perSetting.get(i);
                mismatches += rs.stream().mapToInt(BenchConcurrency.Run::mismatches).sum();
                b.append(String.format(Locale.ROOT, " %.1f (batch %.1f) |", BenchConcurrency.Level.medianRate(rs), BenchConcurrency.Level.meanBatch(rs)));
                if (i > 0) {
                    double[] r = ratios(rs, perSetting.get(0));
                    b.append(String.format(Locale.ROOT, " %.2f× (%.2f–%.2f) |", Samples.of(r).median(), r[0], r[r.length - 1]));
                }
            }
            b.append(' ').append(mismatches).append(" |\n");
        }
        return b.toString();
    }

    private void write(List<List<List<BenchConcurrency.Run>>> runs) throws Exception {
        Files.createDirectories(out);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int l = 0; l < levels.size(); l++) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("clients", levels.get(l));
            for (int i = 0; i < draftRows.size(); i++) {
                row.put("draft_rows_" + draftRows.get(i) + "_tokens_per_second", runs.get(l).get(i).stream().map(BenchConcurrency.Run::tokensPerSecond).toList());
            }
            rows.add(row);
        }
        Files.writeString(out.resolve("crossover.json"), Json.writePretty(Map.of("gamma", gamma, "tokens", tokens, "requests_per_client",
                requestsPerClient, "draft_rows", draftRows, "levels", rows)) + "\n");
        double[] x = levels.stream().mapToDouble(Integer::doubleValue).toArray();
        XYChart chart = new XYChartBuilder().width(800).height(450).title("Speculation inside the batch (greedy sd, γ " + gamma + ")")
                .xAxisTitle("concurrent clients").yAxisTitle("tokens/s").build();
        for (int i = 0; i < draftRows.size(); i++) {
            int setting = i;
            chart.addSeries("drafted rows per pass " + draftRows.get(i), x,
                    runs.stream().mapToDouble(perSetting -> BenchConcurrency.Level.medianRate(perSetting.get(setting))).toArray());
        }
        chart.getStyler().setYAxisMin(0.0);
        BitmapEncoder.saveBitmapWithDPI(chart, out.resolve("crossover.png").toString(), BitmapEncoder.BitmapFormat.PNG, 110);
    }
}
