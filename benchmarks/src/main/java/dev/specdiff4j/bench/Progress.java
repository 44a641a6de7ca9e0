package dev.specdiff4j.bench;

import java.io.PrintStream;

/** A progress bar with ETA for long benchmark runs (redrawn in place on a terminal, sparse lines otherwise). */
public final class Progress {
    private final String what;
    private final long total;
    private final PrintStream out;
    private final boolean terminal = System.console() != null;
    private final long start = System.nanoTime();
    private long done;
    private long lastPrint;

    public Progress(String what, long total, PrintStream out) {
        this.what = what;
        this.total = Math.max(1, total);
        this.out = out;
    }

    public synchronized void step() {
        step(1);
    }

    public synchronized void step(long n) {
        done += n;
        long now = System.nanoTime();
        if (done < total && now - lastPrint < (terminal ? 200_000_000L : 10_000_000_000L)) return;
        lastPrint = now;
        double seconds = (now - start) / 1e9;
        double fraction = Math.min(1, (double) done / total);
        int filled = (int) Math.round(fraction * 30);
        String eta = done > 0 && done < total ? " ETA " + format(seconds / done * (total - done)) : "";
        String line = String.format("%s [%s%s] %3.0f%% %d/%d %s%s", what, "#".repeat(filled), ".".repeat(30 - filled),
                fraction * 100, done, total, format(seconds), eta);
        out.print(terminal ? "\r" + line + "   " : line + System.lineSeparator());
        if (terminal && done >= total) out.println();
        out.flush();
    }

    static String format(double s) {
        if (s < 60) return String.format("%.0fs", s);
        if (s < 3600) return String.format("%dm%02ds", (int) s / 60, (int) s % 60);
        return String.format("%dh%02dm", (int) s / 3600, ((int) s % 3600) / 60);
    }
}
