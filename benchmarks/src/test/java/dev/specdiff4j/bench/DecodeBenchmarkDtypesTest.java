package dev.specdiff4j.bench;

import dev.specdiff4j.engine.tensor.DType;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code bench decode} and {@code bench report} compare, by default, every dtype issue 16 sets a goal for. */
class DecodeBenchmarkDtypesTest {

    @Test
    void defaultDtypesAreTheIssuesGoalDtypes() {
        assertThat(DecodeBenchmark.DTYPES.stream().map(DType::parse).toList())
                .containsExactly(DType.F32, DType.F16, DType.BF16, DType.Q8_0, DType.Q4_0, DType.Q4_K);
    }
}
