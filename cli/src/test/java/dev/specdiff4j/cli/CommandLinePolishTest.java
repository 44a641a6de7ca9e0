package dev.specdiff4j.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The command line's manners: short flags, -V everywhere, whole summaries, completion, progress in logs, thread bounds. */
class CommandLinePolishTest {

    private static final List<String> COMMANDS = List.of("generate", "diffuse", "inspect", "convert", "bench", "serve", "chat", "tokenize",
            "train-tokenizer", "completion");

    @Test
    void everyCommandPrintsTheVersionWithDashCapitalV() {
        for (String command : COMMANDS) {
            CliTestSupport.Result r = CliTestSupport.run(command, "-V");
            assertThat(r.exitCode()).as(command).isZero();
            assertThat(r.out()).as(command).startsWith("specdiff4j ").contains("Java " + Runtime.version());
        }
        assertThat(CliTestSupport.run("--version").out()).startsWith("specdiff4j ");
    }

    @Test
    void theCommandListShowsWholeSummaries() {
        CliTestSupport.Result r = CliTestSupport.run("--help");
        assertThat(r.exitCode()).isZero();
        String flat = r.out().replaceAll("\\s+", " ");
        // both descriptions span two lines in the source; picocli's own list stopped after the first
        assertThat(flat).contains("the tokenizer, and whether specdiff4j can run it.");
        assertThat(flat).contains("GET /health/ready, GET /metrics.");
        for (String command : COMMANDS) assertThat(r.out()).contains("  " + command + " ");
    }

    @Test
    void summariesAreTheFirstSentenceOfTheDescription() {
        CommandLine.Model.CommandSpec spec = CommandLine.Model.CommandSpec.create();
        spec.usageMessage().description("One thing: it goes", "on here. Then more detail.", "And more.");
        assertThat(Main.summary(spec)).isEqualTo("One thing: it goes on here.");
        spec.usageMessage().header("A header wins.");
        assertThat(Main.summary(spec)).isEqualTo("A header wins.");
    }

    @Test
    void llamaCppShortFlagsReachTheSameOptions() {
        GenerateCommand g = new GenerateCommand();
        new CommandLine(g).parseArgs("-m", "t.gguf", "-md", "d", "-p", "Hi", "-n", "7", "-t", "1", "-s", "9", "--temp", "0.5",
                "--draft-max", "5");
        assertThat(g.model).isEqualTo(Path.of("t.gguf"));
        assertThat(g.arDrafter).isEqualTo(Path.of("d"));
        assertThat(g.prompt.option).isEqualTo("Hi");
        assertThat(g.maxTokens).isEqualTo(7);
        assertThat(g.loading.threads).isEqualTo(1);
        assertThat(g.sampling.seed).isEqualTo(9);
        assertThat(g.sampling.temperature).isEqualTo(0.5);
        assertThat(g.gamma).isEqualTo(5);

        DiffuseCommand d = new DiffuseCommand();
        new CommandLine(d).parseArgs("-m", "mdlm", "-n", "12", "-p", "x");
        assertThat(d.model).isEqualTo(Path.of("mdlm"));
        assertThat(d.length).isEqualTo(12);
        assertThat(d.prompt.option).isEqualTo("x");

        ServeCommand s = new ServeCommand();
        new CommandLine(s).parseArgs("-m", "t", "-t", "2", "-c", "256");
        assertThat(s.model).isEqualTo(Path.of("t"));
        assertThat(s.loading.threads).isEqualTo(2);
        assertThat(s.context.contextSize).isEqualTo(256);

        ChatCommand c = new ChatCommand();
        new CommandLine(c).parseArgs("-m", "t.gguf", "-md", "d", "-n", "9", "-c", "128", "-t", "1");
        assertThat(c.model).isEqualTo(Path.of("t.gguf"));
        assertThat(c.arDrafter).isEqualTo(Path.of("d"));
        assertThat(c.maxTokens).isEqualTo(9);
        assertThat(c.context.contextSize).isEqualTo(128);
        assertThat(c.loading.threads).isEqualTo(1);

        GenerateCommand withContext = new GenerateCommand();
        new CommandLine(withContext).parseArgs("--ctx-size", "32", "Hi");
        assertThat(withContext.context.contextSize).isEqualTo(32);
        assertThat(new GenerateCommand()).satisfies(fresh -> {
            new CommandLine(fresh).parseArgs("Hi");
            assertThat(fresh.context.contextSize).as("0: the model's context").isZero();
        });
    }

    @Test
    void aPromptGivenTwiceIsRefused() {
        CliTestSupport.Result r = CliTestSupport.run("generate", "-p", "one", "two");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).startsWith("specdiff4j: give the prompt either as an argument or with -p/--prompt, not both");
    }

    @Test
    void shortThreadsFlagIsBoundedByTheCores() {
        String tooMany = String.valueOf(Runtime.getRuntime().availableProcessors() + 1);
        for (String command : List.of("generate", "serve")) {
            CliTestSupport.Result r = command.equals("serve")
                    ? CliTestSupport.run("serve", "-t", tooMany, "--port", "0")
                    : CliTestSupport.run("generate", "-t", tooMany, "-n", "1", "Hi");
            assertThat(r.exitCode()).as(command).isEqualTo(1);
            assertThat(r.err()).as(command).startsWith("specdiff4j: --threads " + tooMany + " is more than the ");
        }
    }

    @Test
    void completionScriptCoversCommandsAndOptions() {
        CliTestSupport.Result r = CliTestSupport.run("completion");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).contains("complete -F").contains("generate").contains("train-tokenizer").contains("--max-tokens")
                .contains("--threads").contains("--drafter");
    }

    @Test
    void benchInTheSlimJarSaysWhereTheHarnessIs() {
        CliTestSupport.Result r = CliTestSupport.run("bench", "specdiff", "--repeats", "2");
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err().trim()).hasLineCount(1).contains("bin/specdiff4j bench").contains("specdiff4j-bench.jar");
    }

    @Test
    void progressInALogPrintsEachQuarterOnceAndNoCarriageReturns() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Progress p = new Progress("work", 100, new PrintStream(bytes, true, StandardCharsets.UTF_8), false);
        for (int i = 0; i < 100; i++) p.step();
        p.update(100, 100); // a repeated final update prints nothing new
        p.done();
        String log = bytes.toString(StandardCharsets.UTF_8);
        assertThat(log).doesNotContain("\r");
        assertThat(log.lines().toList()).hasSize(4);
        assertThat(log.lines().map(l -> l.replaceAll(" [0-9.]+s.*", "")).distinct().count()).isEqualTo(4);
        assertThat(log).contains(" 25% 25/100").contains(" 50% 50/100").contains(" 75% 75/100").contains("100% 100/100");
    }

    @Test
    void progressOnATerminalRedrawsInPlace() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Progress p = new Progress("work", 2, new PrintStream(bytes, true, StandardCharsets.UTF_8), true);
        p.step();
        p.step();
        assertThat(bytes.toString(StandardCharsets.UTF_8)).startsWith("\rwork [").contains("100% 2/2");
    }
}
