package dev.specdiff4j.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * A one-line progress bar with rate and ETA for long work (benchmarks, conversion, tokenizer training): redrawn in place on a
 * terminal; otherwise (logs, CI, a redirected stderr) one line per quarter of the work and one at the end, never the same line twice.
 */
public final class Progress {
    private static final int WIDTH = 30;
    private final String what;
    private final PrintStream out;
    private final boolean terminal;
    private final long start = System.nanoTime();
    private long total;
    private long done;
    private long lastPrint;
    private boolean openLine;
    private int quartersPrinted;
    private boolean finishedPrinted;

    /** A bar whose total is given with every {@link #update}. */
    public Progress(String what, PrintStream out) {
        this(what, 1, out);
    }

    /** A bar of {@code total} steps, advanced by {@link #step}. */
    public Progress(String what, long total, PrintStream out) {
        this(what, total, out, isTerminal());
    }

    /** A bar that redraws in place ({@code terminal}) or prints plain lines; the tests choose. */
    public Progress(String what, long total, PrintStream out, boolean terminal) {
        this.what = what;
        this.total = Math.max(1, total);
        this.out = out;
        this.terminal = terminal;
    }

    /**
     * Whether standard error, where the bars go, is an interactive terminal. On Linux the target of {@code /proc/self/fd/2}
     * says so ({@code /dev/pts/N} or {@code /dev/ttyN}; a pipe or a file is a log). Elsewhere Java cannot ask about stderr
     * alone: {@link java.io.Console#isTerminal()} answers for standard input and output (since JDK 22
     * {@link System#console()} is never null, so it says nothing by itself), and a redirected stdout is taken as a log.
     */
    static boolean isTerminal() {
        return isTerminal(stderrTarget(), Progress::consoleIsTerminal);
    }

    /** The decision: from the target of the stderr link when there is one, else from {@code fallback}. */
    static boolean isTerminal(Optional<String> stderrTarget, BooleanSupplier fallback) {
        if (stderrTarget.isEmpty()) return fallback.getAsBoolean();
        String target = stderrTarget.get();
        return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
    }

    /** Where file descriptor 2 points ("/dev/pts/0", "pipe:[1234]", a file), where the system says (Linux's /proc). */
    static Optional<String> stderrTarget() {
        try {
            return Optional.of(Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString());
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return Optional.empty();
        }
    }

    private static boolean consoleIsTerminal() {
        java.io.Console console = System.console();
        return console != null && console.isTerminal();
    }

    public synchronized void step() {
        step(1);
    }

    public synchronized void step(long n) {
        update(done + n, total);
    }

    public synchronized void update(long done, long total) {
        this.done = done;
        this.total = Math.max(1, total);
        long now = System.nanoTime();
        boolean finished = done >= this.total;
        if (terminal) {
            if (!finished && now - lastPrint < 200_000_000L) return;
        } else {
            int quarters = (int) Math.min(4, 4 * done / this.total);
            if (finished ? finishedPrinted : quarters <= quartersPrinted) return;
            quartersPrinted = quarters;
            finishedPrinted = finished;
        }
        lastPrint = now;
        double seconds = (now - start) / 1e9;
        double fraction = Math.min(1, (double) done / this.total);
        int filled = (int) Math.round(fraction * WIDTH);
        String eta = done > 0 && !finished ? " ETA " + format(seconds / done * (this.total - done)) : "";
        String line = String.format("%s [%s%s] %3.0f%% %d/%d %s%s", what, "#".repeat(filled), ".".repeat(WIDTH - filled),
                fraction * 100, done, this.total, format(seconds), eta);
        out.print(terminal ? "\r" + line + "   " : line + System.lineSeparator());
        openLine = terminal && !finished;
        if (terminal && finished) out.println();
        out.flush();
    }

    /** Ends an unfinished bar's line (work that stops short of its estimated total). */
    public synchronized void done() {
        if (openLine) out.println();
        openLine = false;
    }

    static String format(double s) {
        if (s < 60) return String.format("%.1fs", s);
        if (s < 3600) return String.format("%dm%02ds", (int) s / 60, (int) s % 60);
        return String.format("%dh%02dm", (int) s / 3600, ((int) s % 3600) / 60);
    }
}
