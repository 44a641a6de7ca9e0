package dev.specdiff4j.bench.cli;

import dev.specdiff4j.json.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code bench crossover} on the demo pair: both settings measured at each level in the palindromic order, every answer equal
 * to the one served alone, the JSON and the plot written; bad settings refused.
 */
class BenchCrossoverTest {
    static BenchCrossover small() {
        BenchCrossover bench = new BenchCrossover();
        bench.levels = List.of(1, 2);
        bench.draftRows = List.of(0, 8);
        bench.requestsPerClient = 1;
        bench.tokens = 8;
        bench.threads = 1;
        bench.gamma = 3;
        bench.repeats = 1;
        return bench;
    }

    @Test
    @SuppressWarnings("unchecked")
    void comparesTheSettingsAtEveryLevel(@TempDir Path dir) throws Exception {
        BenchCrossover bench = small();
        bench.out = dir;
        String table = bench.run();
        assertThat(table).contains("| clients | rows 0 tok/s | rows 8 tok/s | ÷ baseline | answers ≠ alone |")
                .containsPattern("\\n\\| 1 \\| [0-9.]+ \\(batch [0-9.]+\\) \\| [0-9.]+ \\(batch [0-9.]+\\) \\| [0-9.]+× \\([0-9.]+–[0-9.]+\\) \\| 0 \\|")
                .containsPattern("\\n\\| 2 \\| .* \\| 0 \\|\\n");
        Map<String, Object> json = Json.parseObject(Files.readString(dir.resolve("crossover.json")));
        List<Map<String, Object>> levels = (List<Map<String, Object>>) json.get("levels");
        assertThat(levels).hasSize(2);
        assertThat((List<Object>) levels.get(0).get("draft_rows_8_tokens_per_second")).as("A B B A: two runs each").hasSize(2);
        assertThat(dir.resolve("crossover.png")).isNotEmptyFile();
    }

    @Test
    void badSettingsAreRefused() {
        BenchCrossover negative = small();
        negative.draftRows = List.of(0, -1);
        assertThatThrownBy(negative::run).hasMessageContaining("--draft-rows");
        BenchCrossover noGamma = small();
        noGamma.gamma = 0;
        assertThatThrownBy(noGamma::run).hasMessageContaining("--gamma");
    }
}
