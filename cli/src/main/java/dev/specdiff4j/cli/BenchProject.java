package dev.specdiff4j.cli;

import dev.specdiff4j.bench.ScaleProjection;
import dev.specdiff4j.engine.decoding.DraftingConfig;
import dev.specdiff4j.engine.kernels.Kernels;
import dev.specdiff4j.engine.kernels.KernelsSelection;
import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.json.Json;
import dev.specdiff4j.weights.RandomCheckpoints;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "project", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Scale projection: per-round costs measured on random-weight models of the real shapes (GPT-2 small to XL targets,",
            "the MDLM-OWT drafter), combined with an acceptance profile into a projected speedup. Clearly a projection."})
final class BenchProject implements Callable<Integer> {
    @Mixin
    DebugOption debug;

    @Option(names = "--shapes", split = ",", defaultValue = "gpt2,gpt2-medium,gpt2-large,gpt2-xl", description = "Target shapes (default: ${DEFAULT-VALUE}).") List<String> shapes;
    @Option(names = "--dtype", split = ",", defaultValue = "f32,q8_0", description = "Target weight dtypes (default: ${DEFAULT-VALUE}).") List<String> dtypes;
    @Option(names = "--gamma", split = ",", defaultValue = "4,8,16", description = "Draft lengths γ (default: ${DEFAULT-VALUE}).") List<Integer> gammas;
    @Option(names = "--steps", split = ",", defaultValue = "1,2,4", description = "Denoising steps T (default: ${DEFAULT-VALUE}).") List<Integer> steps;
    @Option(names = "--alpha", description = "One acceptance rate for every (γ, T); default: the profile of --alpha-from.") Double alpha;
    @Option(names = "--alpha-from", paramLabel = "SWEEP_JSON", description = "A sweep.json of `bench specdiff` to take α(γ, T) from.") Path alphaFrom;
    @Option(names = "--work", defaultValue = "target/bench-work", description = "Where the random models are written and kept (default: ${DEFAULT-VALUE}).") Path work;
    @Option(names = "--threads", defaultValue = "2", description = "Kernel threads (default: ${DEFAULT-VALUE}).") int threads;
    @Option(names = "--repeats", defaultValue = "3", description = "Timed repetitions of each cost (default: ${DEFAULT-VALUE}).") int repeats;
    @Option(names = "--out", defaultValue = "target/bench", description = "Folder for the CSV/JSON and plots (default: ${DEFAULT-VALUE}).") Path out;

    @Override
    public Integer call() throws Exception {
        System.out.print(run());
        return 0;
    }

    String run() throws Exception {
        Files.createDirectories(work);
        Files.createDirectories(out);
        Map<String, Double> alphas = new LinkedHashMap<>();
        String source;
        if (alpha != null) {
            for (int g : gammas) for (int t : steps) alphas.put(g + "/" + t, alpha);
            source = "α = " + alpha + " for every (γ, T), as given";
        } else {
            Path sweep = alphaFrom != null ? alphaFrom : out.resolve("sweep.json");
            if (!Files.exists(sweep)) throw new IllegalArgumentException("no acceptance profile: give --alpha or --alpha-from a sweep.json (" + sweep + " is missing)");
            @SuppressWarnings("unchecked")
            List<Object> results = (List<Object>) Json.parseObject(Files.readString(sweep)).get("results");
            for (Object o : results) {
                @SuppressWarnings("unchecked")
                Map<String, Object> r = (Map<String, Object>) o;
                String label = (String) r.get("configuration");
                var m = java.util.regex.Pattern.compile("^specdiff γ=(\\d+) T=(\\d+) cached$").matcher(label);
                if (m.matches()) alphas.put(m.group(1) + "/" + m.group(2), ((Number) r.get("alpha")).doubleValue());
            }
            source = "α(γ, T) measured on the demo pair (greedy, " + sweep.getFileName() + ")";
            gammas = alphas.keySet().stream().map(k -> Integer.parseInt(k.split("/")[0])).distinct().toList();
            steps = alphas.keySet().stream().map(k -> Integer.parseInt(k.split("/")[1])).distinct().toList();
        }
        List<ScaleProjection.TargetCost> targets = new ArrayList<>();
        ScaleProjection.DraftCost draft;
        try (Kernels kernels = KernelsSelection.create(null, threads)) {
            ScaleProjection projection = new ScaleProjection(work, kernels, repeats, System.err);
            for (String s : shapes) {
                RandomCheckpoints.Gpt2Shape shape = switch (s) {
                    case "gpt2" -> RandomCheckpoints.Gpt2Shape.SMALL;
                    case "gpt2-medium" -> RandomCheckpoints.Gpt2Shape.MEDIUM;
                    case "gpt2-large" -> RandomCheckpoints.Gpt2Shape.LARGE;
                    case "gpt2-xl" -> RandomCheckpoints.Gpt2Shape.XL;
                    default -> throw new IllegalArgumentException("unknown shape '" + s + "': gpt2, gpt2-medium, gpt2-large or gpt2-xl");
                };
                for (String d : dtypes) {
                    System.err.printf("measuring %s %s%n", s, d);
                    DType dtype = DType.parse(d);
                    targets.add(projection.target(shape, dtype == DType.F32 ? null : dtype, gammas));
                }
            }
            System.err.println("measuring the mdlm-owt drafter");
            draft = projection.drafter(RandomCheckpoints.MdlmShape.OWT, null, gammas, steps, DraftingConfig.DEFAULT_WINDOW);
        }
        String table = ScaleProjection.markdown(targets, draft, alphas, source);
        Files.writeString(out.resolve("projection.md"), table, StandardCharsets.UTF_8);
        return table;
    }
}
