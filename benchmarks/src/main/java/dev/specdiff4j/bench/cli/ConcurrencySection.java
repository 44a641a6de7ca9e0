package dev.specdiff4j.bench.cli;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The report's continuous-batching section: {@code bench concurrency} on the demo target and on the random GPT-2-small shape,
 * each against llama.cpp's parallel slots when the FFM comparator's libraries are there (SPECDIFF4J_GGML_LIB), and
 * {@code bench crossover} for speculation inside the batch; each in a JVM of its own.
 */
final class ConcurrencySection {
    static final String HEADING = "## Continuous batching: throughput and latency against concurrency\n\n";

    private ConcurrencySection() {
    }

    static String markdown(Path data) throws IOException, InterruptedException {
        String[] demo = {"bench", "concurrency", "--clients", "1,2,4,8,16", "--requests", "2", "--tokens", "48", "--threads", "2", "--repeats", "2",
            "--out", data.toString()};
        String[] small = {"bench", "concurrency", "--model", "gpt2-small", "--dtype", "f16", "--clients", "1,2,4,8,16", "--requests", "2", "--tokens",
            "48", "--threads", "2", "--repeats", "1", "--out", data.toString(), "--name", "concurrency-gpt2-small"};
        String[] crossover = {"bench", "crossover", "--clients", "1,2,3,4,8,16", "--draft-rows", "0,4,12,64", "--requests", "2", "--tokens", "48",
            "--threads", "2", "--repeats", "2", "--out", data.toString()};
        return "Plain (ar) requests of concurrent clients share the batch scheduler's passes; the same requests go to llama.cpp's "
                + "parallel slots (`llama-server --parallel N`'s loop over one `llama_decode` per step, called through FFM in the same "
                + "JVM with no HTTP on its side), interleaved A B B A level by level.\n\n"
                + "### The demo target\n\n`" + String.join(" ", demo) + "`:\n\n" + FreshJvm.run(demo) + "\n"
                + "### A GPT-2-small-shaped model (random weights, F16)\n\n`" + String.join(" ", small) + "`:\n\n" + FreshJvm.run(small) + "\n"
                + "### Speculation inside the batch: where drafting stops paying\n\n`" + String.join(" ", crossover) + "`:\n\n"
                + FreshJvm.run(crossover);
    }
}
