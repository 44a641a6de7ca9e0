package dev.specdiff4j.bench;

import dev.specdiff4j.engine.api.Mode;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The sweep plots (XChart, PNG): speedup vs γ per T, acceptance vs γ, tokens/s of the modes and llama.cpp. */
public final class Plots {
    static {
        System.setProperty("java.awt.headless", "true");
    }

    private Plots() {
    }

    /** Greedy, fixed-γ, non-overlapped configurations of one mode, grouped by T (0 for sd). */
    private static Map<Integer, TreeMap<Integer, ConfigResult>> byStepsAndGamma(List<ConfigResult> results, Mode mode) {
        Map<Integer, TreeMap<Integer, ConfigResult>> series = new TreeMap<>();
        for (ConfigResult r : results) {
            BenchConfig c = r.config;
            if (c.mode() != mode || !c.greedy() || c.overlap() || c.adaptiveMax() > 0 || c.dtype() != null || c.tree() != 0) continue;
            if (mode == Mode.SPECDIFF && !c.cached()) continue;
            series.computeIfAbsent(mode == Mode.SD ? 0 : c.steps(), k -> new TreeMap<>()).put(c.gamma(), r);
        }
        return series;
    }

    public static void speedupVsGamma(List<ConfigResult> results, Path png) throws IOException {
        XYChart chart = new XYChartBuilder().width(800).height(500).title("Speedup over autoregressive decoding (greedy, same run)")
                .xAxisTitle("draft length γ").yAxisTitle("speedup vs AR").build();
        addSeries(chart, results, true);
        chart.getStyler().setYAxisMin(0.0);
        BitmapEncoder.saveBitmapWithDPI(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG, 110);
    }

    public static void acceptanceVsGamma(List<ConfigResult> results, Path png) throws IOException {
        XYChart chart = new XYChartBuilder().width(800).height(500).title("Acceptance α = accepted / drafted (greedy)")
                .xAxisTitle("draft length γ").yAxisTitle("α").build();
        addSeries(chart, results, false);
        chart.getStyler().setYAxisMin(0.0);
        chart.getStyler().setYAxisMax(1.0);
        BitmapEncoder.saveBitmapWithDPI(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG, 110);
    }

    private static void addSeries(XYChart chart, List<ConfigResult> results, boolean speedup) {
        for (Mode mode : new Mode[] {Mode.SPECDIFF, Mode.SD}) {
            for (var e : byStepsAndGamma(results, mode).entrySet()) {
                List<Integer> x = new ArrayList<>(e.getValue().keySet());
                List<Double> y = e.getValue().values().stream().map(r -> speedup ? r.speedup() : r.acceptance()).toList();
                String name = mode == Mode.SD ? "sd (autoregressive drafter)" : "specdiff T=" + e.getKey();
                chart.addSeries(name, x, y).setMarker(SeriesMarkers.CIRCLE);
            }
        }
        if (speedup && !chart.getSeriesMap().isEmpty()) {
            List<Integer> xs = new ArrayList<>();
            chart.getSeriesMap().values().forEach(s -> {
                for (double v : s.getXData()) xs.add((int) v);
            });
            int lo = xs.stream().min(Integer::compare).orElse(1);
            int hi = xs.stream().max(Integer::compare).orElse(16);
            chart.addSeries("AR = 1", List.of(lo, hi), List.of(1.0, 1.0)).setMarker(SeriesMarkers.NONE);
        }
    }

    /**
     * Speedup against the drafted nodes verified per pass (greedy): fixed tree budgets as one line per depth, linear drafts at
     * x = γ, and the cost-aware rows (tree=auto, chain) as single points at the mean number of nodes they chose per round, one
     * set per mode. Nothing is written when the sweep has no tree or cost-aware rows.
     */
    public static void speedupVsTreeBudget(List<ConfigResult> results, Path png) throws IOException {
        XYChart chart = new XYChartBuilder().width(800).height(500).title("Speedup over AR against the tree budget (greedy, same run)")
                .xAxisTitle("drafted nodes verified per pass (cost-aware: mean per round)").yAxisTitle("speedup vs AR").build();
        boolean any = false;
        for (Mode mode : new Mode[] {Mode.SPECDIFF, Mode.SD}) {
            String name = mode == Mode.SD ? "sd" : "specdiff";
            Map<Integer, TreeMap<Integer, ConfigResult>> byGamma = new TreeMap<>();
            TreeMap<Integer, ConfigResult> linear = new TreeMap<>();
            for (ConfigResult r : results) {
                BenchConfig c = r.config;
                if (c.mode() != mode || !c.greedy() || c.overlap() || c.adaptiveMax() > 0 || c.dtype() != null) continue;
                if (c.tree() > 0) byGamma.computeIfAbsent(c.gamma(), g -> new TreeMap<>()).put(c.tree(), r);
                if (c.tree() == 0 && (mode == Mode.SD || c.steps() == 1 && c.cached())) linear.put(c.gamma(), r);
                if (c.tree() < 0) {
                    String label = name + (c.tree() == dev.specdiff4j.engine.api.GenerationConfig.TREE_AUTO ? " tree=auto" : " chain")
                            + ", depth " + c.gamma();
                    chart.addSeries(label, List.of(r.draftedPerRound()), List.of(r.speedup())).setMarker(SeriesMarkers.DIAMOND);
                    any = true;
                }
            }
            for (var e : byGamma.entrySet()) {
                List<Integer> x = new ArrayList<>(e.getValue().keySet());
                List<Double> y = e.getValue().values().stream().map(ConfigResult::speedup).toList();
                chart.addSeries(name + " tree, depth " + e.getKey(), x, y).setMarker(SeriesMarkers.CIRCLE);
                any = true;
            }
            if (any && !linear.isEmpty()) {
                chart.addSeries(name + " linear (x = γ)", new ArrayList<>(linear.keySet()),
                        linear.values().stream().map(ConfigResult::speedup).toList()).setMarker(SeriesMarkers.SQUARE);
            }
        }
        if (!any) return;
        chart.getStyler().setYAxisMin(0.0);
        BitmapEncoder.saveBitmapWithDPI(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG, 110);
    }

    /** Bars: the best configuration of each mode, the AR baseline and llama.cpp, in tokens/s. */
    public static void tokensPerSecond(List<ConfigResult> results, double llama, Path png) throws IOException {
        List<String> names = new ArrayList<>();
        List<Double> values = new ArrayList<>();
        double ar = results.stream().mapToDouble(r -> r.baselineTokensPerSecond.median()).average().orElse(Double.NaN);
        names.add("ar (specdiff4j)");
        values.add(ar);
        if (!Double.isNaN(llama)) {
            names.add("ar (llama.cpp)");
            values.add(llama);
        }
        for (Mode mode : new Mode[] {Mode.SD, Mode.SPECDIFF}) {
            results.stream().filter(r -> r.config.mode() == mode && r.config.greedy())
                    .max((a, b) -> Double.compare(a.tokensPerSecond.median(), b.tokensPerSecond.median()))
                    .ifPresent(r -> {
                        names.add("best " + r.config.label());
                        values.add(r.tokensPerSecond.median());
                    });
        }
        CategoryChart chart = new CategoryChartBuilder().width(900).height(500).title("Greedy decoding speed (tokens/s, same run)")
                .yAxisTitle("tokens/s").build();
        chart.getStyler().setLegendVisible(false);
        chart.getStyler().setXAxisLabelRotation(15);
        chart.addSeries("tokens/s", names, values);
        BitmapEncoder.saveBitmapWithDPI(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG, 110);
    }
}
