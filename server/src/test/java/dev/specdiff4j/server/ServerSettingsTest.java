package dev.specdiff4j.server;

import dev.specdiff4j.engine.api.Generator;
import dev.specdiff4j.engine.api.Mode;
import dev.specdiff4j.engine.api.ModelSpec;
import dev.specdiff4j.engine.testing.TinyModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Settings that would make every request fail, or the server unreachable, are refused when the server starts. */
class ServerSettingsTest {
    private static final ServerSettings OK = ServerFixture.settings();

    @Test
    void settingsOutsideTheirRangesAreRefused() {
        assertThatThrownBy(() -> OK.withDefaults(Mode.SPECDIFF, 300, 2)).hasMessage(
                "the default gamma must be between 1 and 32 (the largest a request may ask for), got 300");
        assertThatThrownBy(() -> OK.withDefaults(Mode.SPECDIFF, 4, 0)).hasMessageStartingWith("the default steps must be between 1 and 16");
        assertThatThrownBy(() -> OK.withLimits(1 << 20, 100, Duration.ofSeconds(-5))).hasMessage("the generation timeout must be positive");
        assertThatThrownBy(() -> OK.withCapacity(2, 8, Duration.ofSeconds(-1))).hasMessageStartingWith("the queue wait cannot be negative");
        assertThatThrownBy(() -> OK.withAddress("127.0.0.1", -1)).hasMessage("the port must be between 0 and 65535, got -1");
        assertThatThrownBy(() -> OK.withShutdownGrace(Duration.ofSeconds(-1))).hasMessage("the shutdown grace period cannot be negative");
        assertThatThrownBy(() -> OK.withAccess(new ServerSettings.Access(" ", null))).hasMessage("the API key must not be empty");
    }

    @Test
    void aHostThatCannotBeResolvedOrAModeWithoutItsDrafterIsRefusedAtStart(@TempDir Path dir) throws Exception {
        try (Generator targetOnly = Generator.open(ModelSpec.of(TinyModels.withTokenizer("gpt2-tiny", dir)).withKernels(null, 1, 0))) {
            assertThatThrownBy(() -> CompletionServer.start(targetOnly, OK.withDefaults(Mode.AR, 4, 2).withAddress("bogus.invalid", 0)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("the host 'bogus.invalid' cannot be resolved to an address to listen on");
            assertThatThrownBy(() -> CompletionServer.start(targetOnly, OK))
                    .hasMessage("the default mode specdiff needs a diffusion drafter, and none is loaded");
            assertThatThrownBy(() -> CompletionServer.start(targetOnly, OK.withDefaults(Mode.AR, 4, 2).withAddress("192.0.2.1", 0)))
                    .hasMessageStartingWith("cannot listen on 192.0.2.1 port 0: ").hasMessageNotContaining("Port already in use");
        }
    }
}
