package dev.specdiff4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;
import java.util.function.Consumer;

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
            BenchPointer.class,
            ServeCommand.class,
            TokenizeCommand.class,
            TrainTokenizerCommand.class,
            CompletionCommand.class,
            CommandLine.HelpCommand.class
        })
public final class Main implements Runnable {
    /** Help text is wrapped at the terminal's width, but never narrower than this (so summaries stay readable in logs). */
    static final int MIN_USAGE_WIDTH = 100;

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
        return execute(args, out, err, cli -> { });
    }

    /**
     * Runs the command line after {@code customize} has changed its commands (the benchmark launcher puts the real
     * {@code bench} command in place of {@link BenchPointer}) and returns the exit code.
     */
    public static int execute(String[] args, PrintWriter out, PrintWriter err, Consumer<CommandLine> customize) {
        boolean debug = false;
        for (String a : args) debug |= a.equals("--debug");
        CommandLine cli = new CommandLine(new Main());
        customize.accept(cli);
        everywhere(cli);
        cli.setOut(out);
        cli.setErr(err);
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        cli.setUsageHelpWidth(Math.max(MIN_USAGE_WIDTH, cli.getUsageHelpWidth()));
        cli.setUsageHelpAutoWidth(true);
        cli.setUsageHelpLongOptionsMaxWidth(30);
        cli.setExecutionExceptionHandler(new Errors(debug));
        cli.setParameterExceptionHandler((e, ignored) -> {
            err.println("specdiff4j: " + e.getMessage());
            err.println("(run with --help for usage)");
            err.flush();
            return 2;
        });
        return cli.execute(args);
    }

    /** Every command, nested ones too, answers {@code -h/--help} and {@code -V/--version} with the same version text. */
    private static void everywhere(CommandLine cli) {
        CommandLine.Model.CommandSpec spec = cli.getCommandSpec();
        if (!(cli.getCommand() instanceof CommandLine.HelpCommand)) {
            spec.mixinStandardHelpOptions(true);
            spec.versionProvider(new Version());
        }
        cli.getHelpSectionMap().put(CommandLine.Model.UsageMessageSpec.SECTION_KEY_COMMAND_LIST, Main::commandList);
        for (CommandLine sub : cli.getSubcommands().values()) everywhere(sub);
    }

    /**
     * The list of commands in {@code --help}, each with its whole first sentence (picocli's own list shows only the first line of a
     * description, which cut summaries off mid-sentence).
     */
    private static String commandList(CommandLine.Help help) {
        var commands = new java.util.LinkedHashMap<String, String>();
        help.subcommands().forEach((name, sub) -> {
            if (!sub.commandSpec().usageMessage().hidden()) commands.put(name, summary(sub.commandSpec()));
        });
        if (commands.isEmpty()) return "";
        int nameWidth = commands.keySet().stream().mapToInt(String::length).max().orElse(0) + 2;
        int width = help.commandSpec().usageMessage().width();
        var table = CommandLine.Help.TextTable.forColumns(help.colorScheme(),
                new CommandLine.Help.Column(nameWidth + 2, 2, CommandLine.Help.Column.Overflow.SPAN),
                new CommandLine.Help.Column(Math.max(20, width - nameWidth - 2), 2, CommandLine.Help.Column.Overflow.WRAP));
        commands.forEach((name, text) -> table.addRowValues(name, text));
        return table.toString();
    }

    /** A command's summary: its header if it has one, else the first sentence of its description (all its lines joined). */
    static String summary(CommandLine.Model.CommandSpec spec) {
        String[] header = spec.usageMessage().header();
        String text = String.join(" ", header.length > 0 ? header : spec.usageMessage().description()).strip();
        int end = text.indexOf(". ");
        return end < 0 ? text : text.substring(0, end + 1);
    }

    /** The version lines that {@code -V} prints on every command. */
    public static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"specdiff4j " + version(),
                "Java " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ")"};
        }

        /** The version in the jar's manifest, or a note that this is a development build (classes from a build folder). */
        public static String version() {
            String v = Main.class.getPackage().getImplementationVersion();
            return v == null ? "(development build)" : v;
        }
    }
}
