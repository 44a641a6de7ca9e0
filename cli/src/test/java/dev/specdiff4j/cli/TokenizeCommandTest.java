package dev.specdiff4j.cli;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class TokenizeCommandTest {
    private static final String DEMO = Path.of("..", "models", "demo", "tokenizer.json").toString();

    @Test
    void encodesAndDecodesWithTheDemoTokenizer() {
        CliTestSupport.Result encoded = CliTestSupport.run("tokenize", "--tokenizer", DEMO, "The jury said it did.");
        assertThat(encoded.exitCode()).as(encoded.err()).isZero();
        String ids = encoded.out().trim();
        assertThat(ids).matches("\\d+( \\d+)*");
        CliTestSupport.Result decoded = CliTestSupport.run("tokenize", "--tokenizer", DEMO, "--decode", ids);
        assertThat(decoded.out()).isEqualTo("The jury said it did." + System.lineSeparator());
    }

    @Test
    void specialTokensAreTextUnlessAsked() {
        String asText = CliTestSupport.run("tokenize", "--tokenizer", DEMO, "a<|endoftext|>").out().trim();
        String asId = CliTestSupport.run("tokenize", "--tokenizer", DEMO, "--special", "a<|endoftext|>").out().trim();
        assertThat(asId.split(" ")).hasSize(2).endsWith("8191");
        assertThat(asText.split(" ").length).isGreaterThan(2);
        assertThat(CliTestSupport.run("tokenize", "--tokenizer", DEMO, "--count", "a b c").out().trim()).isEqualTo("3");
    }

    @Test
    void errorsAreOneSentenceAndNonZero() {
        CliTestSupport.Result missing = CliTestSupport.run("tokenize", "--tokenizer", "no/such/tokenizer.json", "x");
        assertThat(missing.exitCode()).isEqualTo(1);
        assertThat(missing.err().trim()).startsWith("specdiff4j: ").contains("no/such/tokenizer.json").doesNotContain("Exception").hasLineCount(1);
        CliTestSupport.Result badId = CliTestSupport.run("tokenize", "--tokenizer", DEMO, "--decode", "12 abc");
        assertThat(badId.exitCode()).isEqualTo(1);
        assertThat(badId.err()).contains("'abc' is not a token id");
        CliTestSupport.Result unknownOption = CliTestSupport.run("tokenize", "--bogus");
        assertThat(unknownOption.exitCode()).isEqualTo(2);
        assertThat(unknownOption.err()).contains("Unknown option: '--bogus'");
        CliTestSupport.Result noCommand = CliTestSupport.run();
        assertThat(noCommand.exitCode()).isEqualTo(2);
    }

    @Test
    void everyCommandHasHelp() {
        for (String command : new Main().getClass().getAnnotation(picocli.CommandLine.Command.class).subcommands().length > 0
                ? new picocli.CommandLine(new Main()).getSubcommands().keySet() : java.util.Set.<String>of()) {
            if (command.equals("help")) continue;
            CliTestSupport.Result help = CliTestSupport.run(command, "--help");
            assertThat(help.exitCode()).as(command).isZero();
            assertThat(help.out()).as(command).contains("Usage: specdiff4j " + command);
        }
    }
}
