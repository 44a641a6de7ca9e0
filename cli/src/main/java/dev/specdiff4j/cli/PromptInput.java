package dev.specdiff4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;

/** The prompt of the commands that generate: the argument, {@code -p TEXT} as in llama.cpp, or standard input when both are absent. */
final class PromptInput {
    @Option(names = {"-p", "--prompt"}, paramLabel = "TEXT", description = "The prompt, as an option (llama.cpp style) instead of the PROMPT argument.")
    String option;

    @Parameters(arity = "0..1", paramLabel = "PROMPT", description = "The prompt text (standard input when neither it nor -p is given).")
    String argument;

    String read(CommandLine.Model.CommandSpec spec) throws IOException {
        if (option != null && argument != null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "give the prompt either as an argument or with -p/--prompt, not both");
        }
        if (option != null) return option;
        if (argument != null) return argument;
        return Stdin.readAll(spec.commandLine().getErr());
    }
}
