package dev.specdiff4j.cli;

import java.io.PrintStream;

/** A one-line progress bar with rate and ETA, redrawn in place on a terminal and printed sparsely otherwise. */
final class Progress {
    private static final int WIDTH = 30;
    private final String unit;
    private final PrintStream out;
    private final boolean terminal = System.console() != null;
    private final long start = System.nanoTime();
    private long lastPrint;
    private boolean printed;

    Progress(String unit, PrintStream out) {
        this.unit = unit;
        this.out = out;
    }

    synchronized void update(long done, long total) {
        long now = System.nanoTime();
        boolean finished = done >= total;
        long interval = terminal ? 100_000_000L : 5_000_000_000L;
        if (!finished && now - lastPrint < interval) return;
        lastPrint = now;
        double seconds = (now - start) / 1e9;
        double fraction = total <= 0 ? 1 : Math.min(1, (double) done / total);
        int filled = (int) Math.round(fraction * WIDTH);
        String eta = done > 0 && !finished ? String.format(" ETA %s", formatSeconds(seconds / done * (total - done))) : "";
        String line = String.format("[%s%s] %3.0f%% %d/%d %s %s%s", "#".repeat(filled), ".".repeat(WIDTH - filled),
                fraction * 100, done, total, unit, formatSeconds(seconds), eta);
        out.print(terminal ? "\r" + line + "   " : line + System.lineSeparator());
        out.flush();
        printed = true;
    }

    synchronized void done() {
        if (printed && terminal) out.println();
    }

    static String formatSeconds(double s) {
        if (s < 60) return String.format("%.1fs", s);
        if (s < 3600) return String.format("%dm%02ds", (int) s / 60, (int) s % 60);
        return String.format("%dh%02dm", (int) s / 3600, ((int) s % 3600) / 60);
    }
}
