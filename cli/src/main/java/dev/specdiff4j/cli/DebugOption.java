package dev.specdiff4j.cli;

import picocli.CommandLine.Option;

/** Mixed into every command: {@code --debug} shows stack traces (the flag itself is read in {@link Main}). */
public final class DebugOption {
    @Option(names = "--debug", description = "Print stack traces on errors.")
    boolean debug;
}
