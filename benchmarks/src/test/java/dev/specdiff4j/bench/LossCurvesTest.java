package dev.specdiff4j.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LossCurvesTest {
    @TempDir
    Path dir;

    @Test
    void plotsTrainingLogsIncludingResumedOnesAsAPng() throws Exception {
        Path a = dir.resolve("a.csv");
        // a resumed run repeats steps 20 and 30: the last row of a step wins
        Files.writeString(a, """
                step,tokens,train_loss,heldout_loss,lr,seconds
                10,4096,7.5,,0.001,10
                20,8192,6.9,6.95,0.001,20
                30,12288,6.7,,0.001,30
                20,8192,6.8,6.85,0.001,25
                30,12288,6.6,,0.001,35
                """);
        Path b = dir.resolve("b.csv");
        Files.writeString(b, "step,tokens,train_loss,heldout_loss,lr,seconds\n25,1000,7.1,0.041,0.002,5\n50,2000,6.9,0.046,0.002,9\n");
        Path png = dir.resolve("loss.png");
        LossCurves.plot(List.of(a, b), List.of("target", "drafter"), "loss", "held-out loss", Set.of("drafter"), png);
        byte[] bytes = Files.readAllBytes(png);
        assertThat(bytes.length).isGreaterThan(1000);
        assertThat(new String(bytes, 1, 3, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("PNG");
    }

    @Test
    void aLogThatIsNotATrainingLogIsAnError() throws Exception {
        Path bad = dir.resolve("bad.csv");
        Files.writeString(bad, "step,tokens,train_loss\n10,4096,7.5\n");
        assertThatThrownBy(() -> LossCurves.plot(List.of(bad), List.of("x"), "loss", "held-out", Set.of(), dir.resolve("x.png")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a train_log.csv");
        Files.writeString(bad, "step,tokens,train_loss,heldout_loss,lr,seconds\nten,4096,7.5,,0.1,1\n");
        assertThatThrownBy(() -> LossCurves.plot(List.of(bad), List.of("x"), "loss", "held-out", Set.of(), dir.resolve("x.png")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("line 2");
    }
}
