package dev.specdiff4j.cli;

import dev.specdiff4j.json.Json;
import dev.specdiff4j.weights.Inspector;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = {"Show what a weight file or model folder holds: architecture, config, every tensor (dtype, shape, bytes),",
            "parameter count, total size, GGUF metadata, the tokenizer, and whether specdiff4j can run it."})
final class InspectCommand implements Callable<Integer> {
    @Mixin
    DebugOption debug;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(paramLabel = "PATH", description = "An HF model folder, a .safetensors file or a .gguf file.")
    Path path;

    @Option(names = "--json", description = "Print the report as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        Map<String, Object> report = Inspector.inspect(path);
        var out = spec.commandLine().getOut();
        out.print(json ? Json.writePretty(report) + System.lineSeparator() : Inspector.render(report));
        out.flush();
        return 0;
    }
}
