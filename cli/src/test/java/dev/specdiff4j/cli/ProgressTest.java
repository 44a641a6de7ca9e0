package dev.specdiff4j.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class ProgressTest {
    @Test
    void stderrIsATerminalWhenItsLinkPointsAtOne() {
        assertThat(Progress.isTerminal(Optional.of("/dev/pts/3"), () -> false)).isTrue();
        assertThat(Progress.isTerminal(Optional.of("/dev/tty1"), () -> false)).isTrue();
        assertThat(Progress.isTerminal(Optional.of("/dev/ttyS0"), () -> false)).isTrue();
    }

    @Test
    void aPipeOrAFileIsALogWhateverStdinAndStdoutAre() {
        assertThat(Progress.isTerminal(Optional.of("pipe:[48213]"), () -> true)).isFalse();
        assertThat(Progress.isTerminal(Optional.of("/var/log/bench.log"), () -> true)).isFalse();
        assertThat(Progress.isTerminal(Optional.of("/dev/null"), () -> true)).isFalse();
    }

    @Test
    void withoutTheLinkTheConsoleDecides() {
        assertThat(Progress.isTerminal(Optional.empty(), () -> true)).isTrue();
        assertThat(Progress.isTerminal(Optional.empty(), () -> false)).isFalse();
    }

    @Test
    void theLinkIsReadWhereLinuxHasIt() {
        if (Files.isDirectory(Path.of("/proc/self/fd"))) assertThat(Progress.stderrTarget()).isPresent();
        else assertThat(Progress.stderrTarget()).isEmpty();
    }

    @Test
    void aLogGetsOneLinePerQuarterAndOneAtTheEnd() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Progress p = new Progress("work", 8, new PrintStream(bytes, true, StandardCharsets.UTF_8), false);
        for (int i = 0; i < 8; i++) p.step();
        p.done();
        String[] lines = bytes.toString(StandardCharsets.UTF_8).split(System.lineSeparator());
        assertThat(lines).hasSize(4);
        assertThat(lines[0]).startsWith("work [").contains(" 2/8 ");
        assertThat(lines[3]).contains("100% 8/8").doesNotContain("ETA").doesNotContain("\r");
    }
}
