package dev.specdiff4j.bench.cli;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.assertj.core.api.Assertions.assertThat;

/** The harness's launcher is the specdiff4j command with the real bench command in place of the slim jar's pointer. */
class BenchMainTest {

    private record Result(int exitCode, String out, String err) {
    }

    private static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = BenchMain.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void benchListsTheBenchmarks() {
        Result r = run("bench", "--help");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).contains("specdiff", "decode", "project", "rounds", "tokenizer", "server", "kernels", "profile", "ab", "report", "loss-plot");
    }

    @Test
    void theOtherCommandsAndTheVersionAreStillThere() {
        assertThat(run("--help").out()).contains("generate", "serve", "bench");
        Result v = run("bench", "rounds", "-V");
        assertThat(v.exitCode()).isZero();
        assertThat(v.out()).startsWith("specdiff4j ");
    }

    @Test
    void badBenchArgumentsGetTheUsualOneLineError() {
        Result r = run("bench", "nonsense");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).startsWith("specdiff4j: ");
    }

    @Test
    void benchmarkThreadsAreBoundedByTheCores() {
        String tooMany = Integer.toString(Runtime.getRuntime().availableProcessors() + 1);
        for (String[] args : new String[][] {{"bench", "decode", "--threads", tooMany, "--dtype", "f32"},
            {"bench", "specdiff", "--threads", tooMany}, {"bench", "rounds", "--threads", tooMany},
            {"bench", "project", "--threads", tooMany}, {"bench", "profile", "--threads", tooMany},
            {"bench", "ab", "--variant", "a", "--variant", "b", "--threads", tooMany}}) {
            Result r = run(args);
            assertThat(r.exitCode()).as(String.join(" ", args)).isNotZero();
            assertThat(r.err()).as(String.join(" ", args)).contains("--threads " + tooMany + " is more than the");
        }
    }

    @Test
    void profilePrintsEveryPassSizeOfTheModelItWasGiven() {
        String tiny = dev.specdiff4j.engine.testing.Fixtures.folder("gpt2-tiny").toString();
        Result r = run("bench", "profile", "-m", tiny, "--rows", "1,3", "--context", "8", "--warmup", "1", "--passes", "2", "--threads", "1");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("passes after a cached context of 8 tokens", "| 1 | ", "| 3 | ", "3-row pass, ", "matmul 300x64 ");
    }
}
