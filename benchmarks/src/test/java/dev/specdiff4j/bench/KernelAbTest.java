package dev.specdiff4j.bench;

import dev.specdiff4j.engine.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KernelAbTest {
    @Test
    void timesEveryVariantInItsOwnClassLoaderAndRestoresTheProperties() throws Exception {
        System.setProperty("specdiff4j.taskBytes", "4096");
        try {
            List<String> stages = new ArrayList<>();
            List<KernelAb.Variant> variants = List.of(new KernelAb.Variant("base", Map.of(), null),
                    new KernelAb.Variant("small", Map.of("specdiff4j.taskBytes", "0"), null));
            KernelAb.Result r = KernelAb.run(Fixtures.folder("gpt2-tiny"), 16, 2, new int[] {1, 4}, 1, 6, variants, stages::add);
            assertThat(r.rows()).extracting(KernelAb.Row::rows).containsExactly(1, 4);
            for (KernelAb.Row row : r.rows()) {
                assertThat(row.ratios()[0].values()).as("the reference against itself").containsOnly(1.0);
                assertThat(row.ratios()[1].count()).isEqualTo(6);
                for (double m : row.medianMillis()) assertThat(m).isPositive();
            }
            // each variant loaded twice, then the warm-up, then one stage per round
            assertThat(stages).startsWith("loading base (1 of 2)", "loading small (1 of 2)", "loading base (2 of 2)", "loading small (2 of 2)",
                    "warming up", "round 1 of 6").hasSize(11);
            assertThat(System.getProperty("specdiff4j.taskBytes")).isEqualTo("4096");
            assertThat(KernelAb.markdown(r)).contains("| small | {specdiff4j.taskBytes=0} |", "| 4 |", "small ÷ base");
        } finally {
            System.clearProperty("specdiff4j.taskBytes");
        }
    }

    @Test
    void refusesWhatCannotGiveAnInterval() {
        List<KernelAb.Variant> one = List.of(new KernelAb.Variant("base", Map.of(), null));
        assertThatThrownBy(() -> KernelAb.run(Fixtures.folder("gpt2-tiny"), 16, 1, new int[] {1}, 0, 6, one, s -> { }))
                .hasMessageContaining("at least two variants");
        List<KernelAb.Variant> two = List.of(one.get(0), new KernelAb.Variant("b", Map.of(), null));
        assertThatThrownBy(() -> KernelAb.run(Fixtures.folder("gpt2-tiny"), 16, 1, new int[] {1}, 0, 5, two, s -> { }))
                .hasMessageContaining("at least 6 rounds");
        assertThatThrownBy(() -> KernelAb.run(Fixtures.folder("gpt2-tiny"), 60, 1, new int[] {8}, 0, 6, two, s -> { }))
                .hasRootCauseMessage("a context of 60 tokens and passes of up to 8 rows do not fit the model's 64 positions");
    }
}
