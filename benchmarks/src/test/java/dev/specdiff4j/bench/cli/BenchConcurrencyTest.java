package dev.specdiff4j.bench.cli;

import dev.specdiff4j.json.Json;
import dev.specdiff4j.tokenizer.testing.ExternalFixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code bench concurrency} on the demo target with the llama.cpp parallel-slots comparator: both engines measured at each
 * level, our answers equal to the ones served alone, the table, the JSON and the plots written. Needs SPECDIFF4J_GGML_LIB.
 */
class BenchConcurrencyTest {
    @Test
    @SuppressWarnings("unchecked")
    void measuresBothEnginesAtEveryLevelAndWritesTheResults(@TempDir Path dir) throws Exception {
        BenchConcurrency bench = new BenchConcurrency();
        bench.levels = List.of(1, 3);
        bench.requestsPerClient = 1;
        bench.tokens = 6;
        bench.threads = 1;
        bench.mode = "ar";
        bench.gamma = 4;
        bench.repeats = 1;
        bench.work = dir.resolve("work");
        bench.ggmlLib = ExternalFixtures.folder("SPECDIFF4J_GGML_LIB", "libggml-base.so");
        bench.out = dir.resolve("out");
        String table = bench.run();
        assertThat(table).contains("parallel slots").contains("| clients | requests | specdiff4j tok/s")
                .containsPattern("\\n\\| 1 \\| 1 \\| [0-9.]+ \\| 1\\.00 \\|").containsPattern("\\n\\| 3 \\| 3 \\| [0-9.]+ \\|");
        Map<String, Object> json = Json.parseObject(Files.readString(bench.out.resolve("concurrency.json")));
        List<Map<String, Object>> levels = (List<Map<String, Object>>) json.get("levels");
        assertThat(levels).hasSize(2);
        for (Map<String, Object> level : levels) {
            assertThat(((Number) level.get("mismatches")).intValue()).as("our answers that differ from the served-alone ones").isZero();
            assertThat((List<Object>) level.get("runs_tokens_per_second")).as("A B B A: two runs of ours").hasSize(2);
            assertThat((List<Object>) level.get("llama_runs_tokens_per_second")).as("and two of llama.cpp's").hasSize(2);
            assertThat(((Number) level.get("llama_tokens_per_second")).doubleValue()).isPositive();
        }
        assertThat(bench.out.resolve("concurrency-throughput.png")).isNotEmptyFile();
        assertThat(bench.out.resolve("concurrency-latency.png")).isNotEmptyFile();
    }
}
