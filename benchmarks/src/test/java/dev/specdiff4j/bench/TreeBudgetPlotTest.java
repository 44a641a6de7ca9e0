package dev.specdiff4j.bench;

import dev.specdiff4j.engine.api.GenerationConfig;
import dev.specdiff4j.engine.api.Mode;
import dev.specdiff4j.engine.decoding.AcceptancePolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The speedup-against-tree-budget plot: drawn for cost-aware rows alone (as bench report runs them), not for linear rows alone. */
class TreeBudgetPlotTest {
    private static ConfigResult row(int gamma, int tree, long rounds, long drafted) {
        ConfigResult r = new ConfigResult(new BenchConfig(Mode.SPECDIFF, gamma, 1, 0, AcceptancePolicy.GREEDY, true, false, 0, null, 16, tree));
        r.add(rounds, drafted, drafted / 2, 2 * rounds, 1_000_000, 2_000_000, 4_000_000, 0);
        r.addRepetition(300, 200);
        return r;
    }

    @Test
    void costAwareRowsAlonePlotAtTheirMeanBudget(@TempDir Path dir) throws Exception {
        ConfigResult auto = row(6, GenerationConfig.TREE_AUTO, 10, 45);
        assertThat(auto.draftedPerRound()).isEqualTo(4.5);
        Path png = dir.resolve("tree.png");
        Plots.speedupVsTreeBudget(List.of(row(3, 0, 10, 30), auto, row(4, GenerationConfig.TREE_CHAIN, 10, 25)), png);
        assertThat(png).exists();
        assertThat(Files.size(png)).isPositive();
    }

    @Test
    void linearRowsAloneDrawNothing(@TempDir Path dir) throws Exception {
        Path png = dir.resolve("tree.png");
        Plots.speedupVsTreeBudget(List.of(row(3, 0, 10, 30), row(4, 0, 10, 40)), png);
        assertThat(png).doesNotExist();
    }
}
