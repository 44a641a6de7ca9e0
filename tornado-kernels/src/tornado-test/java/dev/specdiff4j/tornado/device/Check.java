package dev.specdiff4j.tornado.device;

/** Counts and prints the outcome of named checks for the device mains (no JUnit on a TornadoVM JVM). */
final class Check {
    private final String only;
    private int passed;
    private int failed;

    Check() {
        this("");
    }

    /** Runs only the checks whose name contains {@code only} (and the first, which finds the device). */
    Check(String only) {
        this.only = only;
    }

    void run(String name, ThrowingRunnable check) {
        if (passed + failed > 0 && !name.contains(only)) return;
        long start = System.nanoTime();
        try {
            String detail = check.run();
            passed++;
            System.out.printf("PASS  %-58s %s (%.1f s)%n", name, detail == null ? "" : detail, (System.nanoTime() - start) / 1e9);
        } catch (Throwable e) {
            failed++;
            System.out.printf("FAIL  %-58s %s%n", name, e);
            e.printStackTrace(System.out);
        }
        System.out.flush();
    }

    /** Prints the totals and exits non-zero on any failure. */
    void finish(String what) {
        System.out.printf("%s: %d passed, %d failed%n", what, passed, failed);
        System.exit(failed == 0 ? 0 : 1);
    }

    @FunctionalInterface
    interface ThrowingRunnable {
        /** Returns a short detail for the report (may be null). */
        String run() throws Exception;
    }
}
