package dev.specdiff4j.bench;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.IntToDoubleFunction;

/**
 * Kernel variants compared in one JVM, pass by pass: each variant is the engine loaded by a class loader of its own, with
 * its own system properties (the kernels read their {@code specdiff4j.*} switches once, when their classes load) or its own
 * class path (a jar built from another commit), so that the JIT compiles each variant apart. Every variant is loaded
 * twice, and each round times every instance in turn, in forward then reverse order (A1 B1 A2 B2, B2 A2 B1 A1, ...): the
 * machine's drift and the order cancel within a round, and each variant's result is the paired ratio, round by round, of
 * its two instances' geometric mean to the first variant's. On a shared machine whose speed drifts by tens of percent from
 * one minute to the next this resolves differences of a few percent that separate JVMs (minutes apart) cannot.
 */
public final class KernelAb {
    /** A variant: the system properties it sets, and a class path of its own or null for this JVM's. */
    public record Variant(String name, Map<String, String> properties, List<Path> classpath) {
        public Variant {
            if (name == null || name.isBlank()) throw new IllegalArgumentException("a variant needs a name");
            properties = Map.copyOf(properties);
            classpath = classpath == null ? null : List.copyOf(classpath);
        }
    }

    /** One pass size: per variant the median pass time (ms) and its paired ratios to the first variant. */
    public record Row(int rows, double[] medianMillis, PairedRatios[] ratios) {
    }

    public record Result(String model, int context, int rounds, List<Variant> variants, List<Row> rows) {
    }

    private static final int INSTANCES = 2;

    private KernelAb() {
    }

    public static Result run(Path model, int context, int threads, int[] rows, int warmup, int rounds, List<Variant> variants,
                             Consumer<String> progress) throws Exception {
        if (variants.size() < 2) throw new IllegalArgumentException("compare at least two variants, got " + variants.size());
        if (rows.length == 0 || Arrays.stream(rows).min().getAsInt() < 1) throw new IllegalArgumentException("pass sizes must be at least 1 row");
        if (rounds < 6) throw new IllegalArgumentException("at least 6 rounds are needed for a 95 % interval, got " + rounds);
        int largest = Arrays.stream(rows).max().getAsInt();
        Set<String> keys = new LinkedHashSet<>();
        for (Variant v : variants) keys.addAll(v.properties().keySet());
        Map<String, String> saved = new LinkedHashMap<>();
        for (String key : keys) saved.put(key, System.getProperty(key));
        List<IntToDoubleFunction> timers = new ArrayList<>();
        List<URLClassLoader> loaders = new ArrayList<>();
        try {
            for (int copy = 0; copy < INSTANCES; copy++) {
                for (Variant v : variants) {
                    progress.accept("loading " + v.name() + " (" + (copy + 1) + " of " + INSTANCES + ")");
                    for (String key : keys) System.clearProperty(key);
                    v.properties().forEach(System::setProperty);
                    URLClassLoader loader = new URLClassLoader(urls(v.classpath()), ClassLoader.getPlatformClassLoader());
                    loaders.add(loader);
                    Object timer = loader.loadClass(PassTimer.class.getName()).getConstructor(String.class, int.class, int.class, int.class)
                            .newInstance(model.toString(), context, threads, largest);
                    timers.add((IntToDoubleFunction) timer);
                }
            }
            for (String key : keys) System.clearProperty(key);
            saved.forEach((k, v) -> {
                if (v != null) System.setProperty(k, v);
            });
            int n = variants.size();
            progress.accept("warming up");
            for (int w = 0; w < warmup; w++) for (IntToDoubleFunction t : timers) for (int k : rows) t.applyAsDouble(k);
            double[][][] millis = new double[timers.size()][rows.length][rounds];
            for (int r = 0; r < rounds; r++) {
                progress.accept("round " + (r + 1) + " of " + rounds);
                for (int j = 0; j < timers.size(); j++) {
                    int i = r % 2 == 0 ? j : timers.size() - 1 - j;
                    for (int q = 0; q < rows.length; q++) millis[i][q][r] = timers.get(i).applyAsDouble(rows[q]);
                }
            }
            List<Row> result = new ArrayList<>();
            for (int q = 0; q < rows.length; q++) {
                double[] medians = new double[n];
                PairedRatios[] ratios = new PairedRatios[n];
                for (int v = 0; v < n; v++) {
                    double[] perRound = new double[rounds];
                    for (int r = 0; r < rounds; r++) perRound[r] = geometricMean(millis, v, n, q, r);
                    ratios[v] = new PairedRatios();
                    for (int r = 0; r < rounds; r++) ratios[v].add(perRound[r], geometricMean(millis, 0, n, q, r));
                    Arrays.sort(perRound);
                    medians[v] = perRound[rounds / 2];
                }
                result.add(new Row(rows[q], medians, ratios));
            }
            return new Result(model.toString(), context, rounds, variants, result);
        } finally {
            for (IntToDoubleFunction t : timers) ((AutoCloseable) t).close();
            for (URLClassLoader l : loaders) l.close();
            for (String key : keys) System.clearProperty(key);
            saved.forEach((k, v) -> {
                if (v != null) System.setProperty(k, v);
            });
        }
    }

    /** Variant v's instances are v, v + n, ...: their geometric mean in round r. */
    private static double geometricMean(double[][][] millis, int v, int n, int q, int r) {
        double logs = 0;
        for (int c = 0; c < INSTANCES; c++) logs += Math.log(millis[v + c * n][q][r]);
        return Math.exp(logs / INSTANCES);
    }

    /**
     * The variant's class path, then this JVM's: the engine comes from the variant's jar, and what an older jar lacks
     * ({@link PassTimer} itself, for one) from this one.
     */
    private static URL[] urls(List<Path> classpath) throws Exception {
        List<Path> paths = new ArrayList<>(classpath != null ? classpath : List.of());
        Arrays.stream(System.getProperty("java.class.path").split(java.io.File.pathSeparator)).map(Path::of).forEach(paths::add);
        URL[] urls = new URL[paths.size()];
        for (int i = 0; i < urls.length; i++) urls[i] = paths.get(i).toAbsolutePath().toUri().toURL();
        return urls;
    }

    public static String markdown(Result r) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "model: %s; passes after a cached context of %d tokens; %d rounds, each variant loaded twice, "
                + "order alternating; ratio: median of the rounds' paired ratios to %s [95 %% CI]%n%n", r.model(), r.context(), r.rounds(),
                r.variants().get(0).name()));
        b.append("| variant | settings |\n|---|---|\n");
        for (Variant v : r.variants()) {
            String settings = v.properties().isEmpty() ? "defaults" : new java.util.TreeMap<>(v.properties()).toString();
            if (v.classpath() != null) settings += "; class path " + v.classpath();
            b.append("| ").append(v.name()).append(" | ").append(settings).append(" |\n");
        }
        b.append("\n| rows |");
        for (Variant v : r.variants()) b.append(' ').append(v.name()).append(" ms |");
        for (int v = 1; v < r.variants().size(); v++) b.append(' ').append(r.variants().get(v).name()).append(" ÷ ").append(r.variants().get(0).name()).append(" |");
        b.append("\n|---:|");
        b.append("---:|".repeat(2 * r.variants().size() - 1));
        b.append('\n');
        for (Row row : r.rows()) {
            b.append("| ").append(row.rows()).append(" |");
            for (double m : row.medianMillis()) b.append(String.format(Locale.ROOT, " %.3f |", m));
            for (int v = 1; v < row.ratios().length; v++) b.append(' ').append(row.ratios()[v].format()).append(" |");
            b.append('\n');
        }
        return b.toString();
    }
}
