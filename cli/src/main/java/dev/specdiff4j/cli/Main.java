package dev.specdiff4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/** The {@code specdiff4j} command. */
@Command(name = "specdiff4j",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Pure-Java transformer and masked-diffusion language models with speculative diffusion decoding.",
        subcommands = {
            GenerateCommand.class,
            ChatCommand.class,
            DiffuseCommand.class,
            InspectCommand.class,
            ConvertCommand.class,
            BenchCommand.class,
            ServeCommand.class,
            TokenizeCommand.class,
            TrainTokenizerCommand.class,
            CommandLine.HelpCommand.class
        })
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required (try --help)");
    }

    public static void main(String[] args) {
        System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the command line and returns the exit code; used by the tests too. */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        boolean debug = false;
        for (String a : args) debug |= a.equals("--debug");
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(out);
        cli.setErr(err);
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        cli.setExecutionExceptionHandler(new Errors(debug));
        cli.setParameterExceptionHandler((e, ignored) -> {
            err.println("specdiff4j: " + e.getMessage());
            err.println("(run with --help for usage)");
            err.flush();
            return 2;
        });
        return cli.execute(args);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"specdiff4j " + (v == null ? "(development build)" : v),
                "Java " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ")"};
        }
    }
}
