package dev.specdiff4j.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** A sweep's results as a Markdown table, CSV rows and JSON-ready maps. */
public final class SweepReport {
    private SweepReport() {
    }

    private static final String[] HEADERS = {"configuration", "tok/s", "AR tok/s (same run)", "speedup vs AR", "vs llama.cpp",
        "α (accepted/drafted)", "tokens/round", "draft ms/round", "verify ms/round", "overhead ms/round", "peak heap MiB", "greedy check"};

    /** @param llamaTokensPerSecond median llama.cpp tokens/s on the same target (NaN when not measured) */
    public static String markdown(List<ConfigResult> results, double llamaTokensPerSecond) {
        StringBuilder b = new StringBuilder("| " + String.join(" | ", HEADERS) + " |\n");
        b.append("|").append("---|".repeat(HEADERS.length)).append('\n');
        for (ConfigResult r : results) b.append("| ").append(String.join(" | ", cells(r, llamaTokensPerSecond))).append(" |\n");
        return b.toString();
    }

    public static String csv(List<ConfigResult> results, double llamaTokensPerSecond) {
        StringBuilder b = new StringBuilder("configuration,mode,gamma,steps,temperature,policy,cached,overlap,adaptive_max,dtype,"
                + "tokens_per_second_median,tokens_per_second_min,tokens_per_second_max,ar_tokens_per_second_median,speedup,"
                + "vs_llama_cpp,alpha,tokens_per_round,draft_ms_per_round,verify_ms_per_round,overhead_ms_per_round,peak_heap_bytes,mismatches\n");
        for (ConfigResult r : results) {
            BenchConfig c = r.config;
            b.append(String.format(Locale.ROOT, "\"%s\",%s,%d,%d,%s,%s,%s,%s,%d,%s,%.3f,%.3f,%.3f,%.3f,%.4f,%.4f,%.4f,%.4f,%.3f,%.3f,%.3f,%d,%d%n",
                    c.label(), c.mode().name().toLowerCase(Locale.ROOT), c.gamma(), c.steps(), c.temperature(),
                    c.policy().name().toLowerCase(Locale.ROOT), c.cached(), c.overlap(), c.adaptiveMax(),
                    c.dtype() == null ? "stored" : c.dtype().displayName(), r.tokensPerSecond.median(), r.tokensPerSecond.min(),
                    r.tokensPerSecond.max(), r.baselineTokensPerSecond.median(), r.speedup(),
                    r.tokensPerSecond.median() / llamaTokensPerSecond, r.acceptance(), r.tokensPerRound(), r.draftMsPerRound(),
                    r.verifyMsPerRound(), r.overheadMsPerRound(), r.peakHeapBytes(), r.mismatches().size()));
        }
        return b.toString();
    }

    public static List<Map<String, Object>> json(List<ConfigResult> results, double llamaTokensPerSecond) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (ConfigResult r : results) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("configuration", r.config.label());
            m.put("tokens_per_second", r.tokensPerSecond.values());
            m.put("ar_tokens_per_second", r.baselineTokensPerSecond.values());
            m.put("speedup", r.speedup());
            m.put("vs_llama_cpp", Double.isNaN(llamaTokensPerSecond) ? null : r.tokensPerSecond.median() / llamaTokensPerSecond);
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

    static List<String> cells(ConfigResult r, double llama) {
        boolean speculative = r.config.mode() != dev.specdiff4j.engine.api.Mode.AR;
        List<String> c = new ArrayList<>();
        c.add(r.config.label());
        c.add(r.tokensPerSecond.format("%.1f"));
        c.add(r.baselineTokensPerSecond.format("%.1f"));
        c.add(String.format(Locale.ROOT, "**%.2f×**", r.speedup()));
        c.add(Double.isNaN(llama) ? "–" : String.format(Locale.ROOT, "%.2f×", r.tokensPerSecond.median() / llama));
        c.add(speculative ? String.format(Locale.ROOT, "%.3f", r.acceptance()) : "–");
        c.add(speculative ? String.format(Locale.ROOT, "%.2f", r.tokensPerRound()) : "1");
        c.add(speculative ? String.format(Locale.ROOT, "%.2f", r.draftMsPerRound()) : "–");
        c.add(speculative ? String.format(Locale.ROOT, "%.2f", r.verifyMsPerRound()) : "–");
        c.add(speculative ? String.format(Locale.ROOT, "%.2f", r.overheadMsPerRound()) : "–");
        c.add(String.format(Locale.ROOT, "%.0f", r.peakHeapBytes() / 1048576.0));
        c.add(!r.config.greedy() ? "n/a (sampling)" : r.mismatches().isEmpty() ? "identical" : "**ERROR: " + r.mismatches().size() + " differ**");
        return c;
    }
}
