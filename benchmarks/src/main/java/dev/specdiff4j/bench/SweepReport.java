package dev.specdiff4j.bench;

import dev.specdiff4j.engine.api.Mode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A sweep's results as a Markdown table, CSV rows and JSON-ready maps.
 *
 * <p>"vs llama.cpp" is derived from two paired measurements against the same run's autoregressive baseline: the row's
 * speedup over AR divided by llama.cpp's own ratio over AR ({@code llamaOverAr}, measured with the same protocol), so
 * that no figure compares numbers taken at different times.
 */
public final class SweepReport {
    private SweepReport() {
    }

    private static final String[] HEADERS = {"configuration", "tok/s", "AR tok/s (same run)", "speedup vs AR (median paired ratio [95% CI])",
        "vs llama.cpp", "α (accepted/drafted)", "tokens/round", "draft ms/round", "verify ms/round", "overhead ms/round",
        "last ÷ first repetition (config, AR)", "peak heap MiB", "greedy check"};

    /** @param llamaOverAr llama.cpp's paired ratio over the AR baseline, or null when not measured */
    public static String markdown(List<ConfigResult> results, PairedRatios llamaOverAr) {
        StringBuilder b = new StringBuilder("| " + String.join(" | ", HEADERS) + " |\n");
        b.append("|").append("---|".repeat(HEADERS.length)).append('\n');
        for (ConfigResult r : results) b.append("| ").append(String.join(" | ", cells(r, llamaOverAr))).append(" |\n");
        return b.toString();
    }

    public static String csv(List<ConfigResult> results, PairedRatios llamaOverAr) {
        StringBuilder b = new StringBuilder("configuration,mode,gamma,steps,temperature,policy,cached,overlap,adaptive_max,dtype,"
                + "tokens_per_second_median,tokens_per_second_min,tokens_per_second_max,ar_tokens_per_second_median,speedup,"
                + "speedup_ci_low,speedup_ci_high,vs_llama_cpp,alpha,tokens_per_round,draft_ms_per_round,verify_ms_per_round,"
                + "overhead_ms_per_round,last_over_first,ar_last_over_first,peak_heap_bytes,mismatches\n");
        for (ConfigResult r : results) {
            BenchConfig c = r.config;
            double[] drift = r.lastOverFirst();
            b.append(String.format(Locale.ROOT, "\"%s\",%s,%d,%d,%s,%s,%s,%s,%d,%s,%.3f,%.3f,%.3f,%.3f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.3f,%.3f,%.3f,%.4f,%.4f,%d,%d%n",
                    c.label(), c.mode().name().toLowerCase(Locale.ROOT), c.gamma(), c.steps(), c.temperature(),
                    c.policy().name().toLowerCase(Locale.ROOT), c.cached(), c.overlap(), c.adaptiveMax(),
                    c.dtype() == null ? "stored" : c.dtype().displayName(), r.tokensPerSecond.median(), r.tokensPerSecond.min(),
                    r.tokensPerSecond.max(), r.baselineTokensPerSecond.median(), r.speedup(), r.speedups.lower(), r.speedups.upper(),
                    vsLlama(r, llamaOverAr), r.acceptance(), r.tokensPerRound(), r.draftMsPerRound(),
                    r.verifyMsPerRound(), r.overheadMsPerRound(), drift[0], drift[1], r.peakHeapBytes(), r.mismatches().size()));
        }
        return b.toString();
    }

    public static List<Map<String, Object>> json(List<ConfigResult> results, PairedRatios llamaOverAr) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (ConfigResult r : results) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("configuration", r.config.label());
            m.put("tokens_per_second", r.tokensPerSecond.values());
            m.put("ar_tokens_per_second", r.baselineTokensPerSecond.values());
            m.put("paired_speedups", r.speedups.values());
            m.put("speedup", r.speedup());
            m.put("speedup_ci", Double.isNaN(r.speedups.lower()) ? null : new double[] {r.speedups.lower(), r.speedups.upper()});
            double vsLlama = vsLlama(r, llamaOverAr);
            m.put("vs_llama_cpp", Double.isNaN(vsLlama) ? null : vsLlama);
            m.put("alpha", r.acceptance());
            m.put("tokens_per_round", r.tokensPerRound());
            m.put("draft_ms_per_round", r.draftMsPerRound());
            m.put("verify_ms_per_round", r.verifyMsPerRound());
            m.put("overhead_ms_per_round", r.overheadMsPerRound());
            m.put("drafts_ahead", r.draftsAhead());
            m.put("peak_heap_bytes", r.peakHeapBytes());
            m.put("greedy_mismatches", r.mismatches());
            out.add(m);
        }
        return out;
    }

    /** The row's speed over llama.cpp's, through the same run's AR baseline; NaN when llama.cpp was not measured. */
    static double vsLlama(ConfigResult r, PairedRatios llamaOverAr) {
        // llama.cpp was measured against AR on the weights as stored; a row with converted weights has another baseline
        if (llamaOverAr == null || llamaOverAr.count() == 0 || r.config.dtype() != null) return Double.NaN;
        return r.speedup() / llamaOverAr.median();
    }

    static List<String> cells(ConfigResult r, PairedRatios llamaOverAr) {
        boolean speculative = r.config.mode() != Mode.AR;
        double vsLlama = vsLlama(r, llamaOverAr);
        double[] drift = r.lastOverFirst();
        List<String> c = new ArrayList<>();
        c.add(r.config.label());
        c.add(r.tokensPerSecond.format("%.1f"));
        c.add(r.baselineTokensPerSecond.format("%.1f"));
        c.add("**" + r.speedups.format() + "**");
        c.add(Double.isNaN(vsLlama) ? "–" : String.format(Locale.ROOT, "%.2f×", vsLlama));
        c.add(speculative ? String.format(Locale.ROOT, "%.3f", r.acceptance()) : "–");
        c.add(speculative ? String.format(Locale.ROOT, "%.2f", r.tokensPerRound()) : "1");
        c.add(speculative ? String.format(Locale.ROOT, "%.2f", r.draftMsPerRound()) : "–");
        c.add(speculative ? String.format(Locale.ROOT, "%.2f", r.verifyMsPerRound()) : "–");
        c.add(speculative ? String.format(Locale.ROOT, "%.2f", r.overheadMsPerRound()) : "–");
        c.add(String.format(Locale.ROOT, "%.2f, %.2f", drift[0], drift[1]));
        c.add(String.format(Locale.ROOT, "%.0f", r.peakHeapBytes() / 1048576.0));
        c.add(!r.config.greedy() ? "n/a (sampling)" : r.mismatches().isEmpty() ? "identical" : "**ERROR: " + r.mismatches().size() + " differ**");
        return c;
    }
}
