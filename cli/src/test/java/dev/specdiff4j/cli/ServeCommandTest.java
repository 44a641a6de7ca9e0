package dev.specdiff4j.cli;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** serve refuses bad settings of its own at start-up, in one sentence, before it loads a model. */
class ServeCommandTest {
    private static CliTestSupport.Result serve(String... options) {
        String[] args = new String[options.length + 3];
        args[0] = "serve";
        args[1] = "--model";
        args[2] = "no-such-model"; // never loaded: the settings are refused first
        System.arraycopy(options, 0, args, 3, options.length);
        return CliTestSupport.run(args);
    }

    @Test
    void badServerSettingsAreRefusedAtStartInOneSentence() {
        String[][] cases = {
            {"--gamma", "300", "the default gamma must be between 1 and 32"},
            {"--gamma", "256", "the default gamma must be between 1 and 32"},
            {"--steps", "0", "the default steps must be between 1 and 16"},
            {"--timeout", "-5", "the generation timeout must be positive"},
            {"--queue-wait", "-1", "the queue wait cannot be negative"},
            {"--port", "-1", "the port must be between 0 and 65535, got -1"},
            {"--port", "70000", "the port must be between 0 and 65535, got 70000"},
            {"--max-connections", "0", "the connection limit must be at least 1"},
            {"--shutdown-grace", "-1", "the shutdown grace period cannot be negative"},
            {"--alias", " ", "the model name (--alias) must not be empty"},
            {"--cors-origin", "app.example.org/x", "a CORS origin is '*' or a scheme and host such as https://app.example.org, not 'app.example.org/x'"},
        };
        for (String[] c : cases) {
            CliTestSupport.Result r = serve(c[0], c[1]);
            assertThat(r.exitCode()).as(c[0] + " " + c[1]).isNotZero();
            assertThat(r.err()).as(c[0] + " " + c[1]).contains(c[2]).doesNotContain("Exception").doesNotContain("no-such-model")
                    .doesNotContain("\tat ");
            assertThat(r.err().strip().lines().count()).as(r.err()).isEqualTo(1);
        }
    }

    @Test
    void aliasAndCorsOriginsReachTheSettings() {
        ServeCommand command = new ServeCommand();
        new picocli.CommandLine(command).parseArgs("--alias", "team/demo", "--cors-origin", "https://a.example.org,http://localhost:3000");
        dev.specdiff4j.server.ServerSettings settings = command.settings(command.alias, 3);
        assertThat(settings.modelName()).isEqualTo("team/demo");
        assertThat(settings.access().corsOrigins()).containsExactlyInAnyOrder("https://a.example.org", "http://localhost:3000");
        ServeCommand plain = new ServeCommand();
        new picocli.CommandLine(plain).parseArgs();
        assertThat(plain.settings("target", 3).access().corsOrigins()).isEmpty();
    }
}
