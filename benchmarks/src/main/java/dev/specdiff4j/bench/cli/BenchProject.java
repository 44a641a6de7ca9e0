package dev.specdiff4j.bench.cli;

import dev.specdiff4j.cli.DebugOption;
import dev.specdiff4j.cli.LoadingOptions;
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

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

@Command(name = "project", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Scale projection: per-round costs measured on random-weight models of the real shapes (GPT-2 small to XL targets,",
            "the MDLM-OWT drafter), combined with an acceptance profile into a projected speedup. Clearly a projection."})
final class BenchProject implements Callable<Integer> {
    private static final Pattern CACHED_SPECDIFF_ROW = Pattern.compile("^specdiff γ=(\\d+) T=(\\d+) cached$");

    @Mixin
    DebugOption debug;

    @Option(names = "--shapes", split = ",", defaultValue = "gpt2,gpt2-medium,gpt2-large,gpt2-xl", description = "Target shapes (default: ${DEFAULT-VALUE}).") List<String> shapes;
    @Option(names = "--dtype", split = ",", defaultValue = "f32,q8_0", description = "Target weight dtypes (default: ${DEFAULT-VALUE}).") List<String> dtypes;
    @Option(names = "--gamma", split = ",", description = "Draft lengths γ (default: 4,8,16 with --alpha; every γ of the profile otherwise).") List<Integer> gammas;
    @Option(names = "--steps", split = ",", description = "Denoising steps T (default: 1,2,4 with --alpha; every T of the profile otherwise).") List<Integer> steps;
    @Option(names = "--alpha", description = "One acceptance rate for every (γ, T); default: the profile of --alpha-from.") Double alpha;
    @Option(names = "--alpha-from", paramLabel = "SWEEP_JSON", description = "A sweep.json of `bench specdiff` to take α(γ, T) from.") Path alphaFrom;
    @Option(names = "--repeats", defaultValue = "3", description = "Timed repetitions of each cost (default: ${DEFAULT-VALUE}).") int repeats;
    @Mixin
    CostOptions cost;

    @Override
    public Integer call() throws Exception {
        System.out.print(run());
        return 0;
    }

    String run() throws Exception {
        LoadingOptions.checkThreads("--threads", cost.threads);
        Files.createDirectories(cost.work);
        Files.createDirectories(cost.out);
        Map<String, Double> alphas = new LinkedHashMap<>();
        String source;
        if (alpha != null) {
            if (gammas == null) gammas = List.of(4, 8, 16);
            if (steps == null) steps = List.of(1, 2, 4);
            for (int g : gammas) for (int t : steps) alphas.put(g + "/" + t, alpha);
            source = "α = " + alpha + " for every (γ, T), as given";
        } else {
            Path sweep = alphaFrom != null ? alphaFrom : cost.out.resolve("sweep.json");
            alphas.putAll(select(profile(sweep), gammas, steps, sweep));
            source = "α(γ, T) measured on the demo pair (greedy, " + sweep.getFileName() + ")";
            gammas = distinct(alphas, 0);
            steps = distinct(alphas, 1);
        }
        List<ScaleProjection.TargetCost> targets = new ArrayList<>();
        ScaleProjection.DraftCost draft;
        try (Kernels kernels = KernelsSelection.create(null, cost.threads)) {
            ScaleProjection projection = new ScaleProjection(cost.work, kernels, repeats, System.err);
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
        if (alpha == null) table += "\n" + demoCheck(alphaFrom != null ? alphaFrom : cost.out.resolve("sweep.json"));
        Files.writeString(cost.out.resolve("projection.md"), table, StandardCharsets.UTF_8);
        return table;
    }

    /**
     * The acceptance rates of a profile for the (γ, T) asked for (null: all of the profile's), each of which the profile
     * must hold.
     */
    static Map<String, Double> select(Map<String, Double> profile, List<Integer> gammas, List<Integer> steps, Path sweep) {
        if (gammas == null && steps == null) return profile;
        Map<String, Double> alphas = new LinkedHashMap<>();
        for (int gamma : gammas != null ? gammas : distinct(profile, 0)) {
            for (int step : steps != null ? steps : distinct(profile, 1)) {
                Double a = profile.get(gamma + "/" + step);
                if (a == null) {
                    throw new IllegalArgumentException(sweep + " has no acceptance rate for γ=" + gamma + " T=" + step + "; it has (γ/T) "
                            + String.join(", ", profile.keySet()) + " (or give --alpha)");
                }
                alphas.put(gamma + "/" + step, a);
            }
        }
        return alphas;
    }

    /** Per-position α by "γ/T" from the tokens per round of the cached-drafting specdiff rows of a sweep.json. */
    static Map<String, Double> profile(Path sweep) throws IOException {
        if (!Files.exists(sweep)) throw new IllegalArgumentException("no acceptance profile: give --alpha or --alpha-from a sweep.json (" + sweep + " is missing)");
        Map<String, Double> profile = new LinkedHashMap<>();
        @SuppressWarnings("unchecked")
        List<Object> results = (List<Object>) Json.parseObject(Files.readString(sweep)).get("results");
        for (Object o : results) {
            @SuppressWarnings("unchecked")
            Map<String, Object> r = (Map<String, Object>) o;
            Matcher m = CACHED_SPECDIFF_ROW.matcher((String) r.get("configuration"));
            if (!m.matches()) continue;
            int gamma = Integer.parseInt(m.group(1));
            if (!(r.get("tokens_per_round") instanceof Number tokens)) {
                throw new IllegalArgumentException(sweep + " has no tokens_per_round for '" + r.get("configuration") + "'; run bench specdiff again");
            }
            // the formula wants per-position acceptance; accepted ÷ drafted (the sweep's "alpha") understates it
            profile.put(gamma + "/" + m.group(2), ScaleProjection.perPositionAlpha(Math.min(tokens.doubleValue(), gamma + 1), gamma));
        }
        if (profile.isEmpty()) throw new IllegalArgumentException(sweep + " holds no cached specdiff rows to take acceptance rates from");
        return profile;
    }

    /**
     * The formula checked on the sweep's own rows: for each cached specdiff row, the speedup it predicts from the row's
     * measured tokens per round, draft and verification ms per round and the AR baseline's median step, against the measured
     * speedup. The projection is only worth reading where these agree within 15 %.
     */
    static String demoCheck(Path sweep) throws IOException {
        StringBuilder b = new StringBuilder("Check on the measured pair (").append(sweep.getFileName())
                .append("): the formula fed with each row's own measured inputs against its measured speedup.\n\n")
                .append("| configuration | per-position α | predicted | measured | error |\n|---|---|---|---|---|\n");
        @SuppressWarnings("unchecked")
        List<Object> results = (List<Object>) Json.parseObject(Files.readString(sweep)).get("results");
        for (Object o : results) {
            @SuppressWarnings("unchecked")
            Map<String, Object> r = (Map<String, Object>) o;
            Matcher m = CACHED_SPECDIFF_ROW.matcher((String) r.get("configuration"));
            if (!m.matches() || !(r.get("ar_tokens_per_second") instanceof List<?> ar) || ar.isEmpty()) continue;
            int gamma = Integer.parseInt(m.group(1));
            double[] arRates = ar.stream().mapToDouble(x -> ((Number) x).doubleValue()).sorted().toArray();
            double arMedian = arRates.length % 2 == 1 ? arRates[arRates.length / 2] : (arRates[arRates.length / 2 - 1] + arRates[arRates.length / 2]) / 2;
            double tokens = Math.min(((Number) r.get("tokens_per_round")).doubleValue(), gamma + 1);
            double predicted = ScaleProjection.predictedFromMeasured(tokens, gamma, arMedian,
                    ((Number) r.get("draft_ms_per_round")).doubleValue(), ((Number) r.get("verify_ms_per_round")).doubleValue());
            double measured = ((Number) r.get("speedup")).doubleValue();
            double error = predicted / measured - 1;
            b.append(String.format(java.util.Locale.ROOT, "| %s | %.3f | %.2f× | %.2f× | %+.0f %%%s |%n", r.get("configuration"),
                    ScaleProjection.perPositionAlpha(tokens, gamma), predicted, measured, 100 * error, Math.abs(error) <= 0.15 ? "" : " (over 15 %)"));
        }
        return b.toString();
    }

    /** The distinct γ (part 0) or T (part 1) of "γ/T" keys, in order. */
    private static List<Integer> distinct(Map<String, Double> byGammaAndSteps, int part) {
        return byGammaAndSteps.keySet().stream().map(k -> Integer.parseInt(k.split("/")[part])).distinct().toList();
    }
}
