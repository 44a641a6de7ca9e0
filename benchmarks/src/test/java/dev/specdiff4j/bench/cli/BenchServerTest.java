package dev.specdiff4j.bench.cli;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code bench server} (the section bench report writes on the server) runs the drill on the demo models and prints what it held. */
class BenchServerTest {
    @Test
    void printsWhatTheServerHeldUnderLoadAndFaults() throws Exception {
        BenchServer bench = new BenchServer();
        bench.clients = 2;
        bench.requests = 3;
        bench.rounds = 1;
        bench.threads = 1;
        bench.idleTimeout = 1;
        assertThat(bench.run()).contains("| 2 clients, modes ar/sd/specdiff")
                .contains("3 answers equal to the served-alone ones, 0 errors")
                .contains("6 of 6 hung-up streams cancelled")
                .contains("3 of 3 bodies refused 413; 1 of 1 normal requests answered, 1 of 1 health checks 200; "
                        + "10 of the last round's 10 stalled connections closed by the server's idle timeout; 0 server failures")
                .doesNotContain("load error").doesNotContain("fault part:");
    }
}
