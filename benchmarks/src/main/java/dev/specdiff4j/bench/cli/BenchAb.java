package dev.specdiff4j.bench.cli;

import dev.specdiff4j.bench.KernelAb;
import dev.specdiff4j.cli.Progress;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "ab", mixinStandardHelpOptions = true,
        description = {"Kernel variants against each other in one JVM: forward passes of 1, 2, 4, ... rows after a cached context, each variant",
                "loaded twice by a class loader of its own with its own specdiff4j.* properties (or a jar built from another commit),",
                "rounds in alternating order, paired ratios to the first variant with their 95 %% intervals. Default: the demo target.",
                "Example: bench ab --variant base --variant small-tasks=specdiff4j.taskBytes=0"})
final class BenchAb implements Callable<Integer> {
    @Mixin
    PassOptions pass;

    @Option(names = "--variant", required = true, paramLabel = "NAME[=PROPERTY=VALUE,...]",
            description = "A variant and the system properties it sets; give two or more, the first is the reference.")
    List<String> variants;

    @Option(names = "--classpath", paramLabel = "NAME=PATH[,PATH...]",
            description = "The class path of the variant NAME (for example the bench jar of another commit) instead of this JVM's.")
    List<String> classpaths = new ArrayList<>();

    @Option(names = "--warmup", defaultValue = "30", description = "Untimed rounds first (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--rounds", defaultValue = "40", description = "Timed rounds (default: ${DEFAULT-VALUE}; at least 6).")
    int rounds;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        spec.commandLine().getOut().print(run());
        spec.commandLine().getOut().flush();
        return 0;
    }

    String run() throws Exception {
        int threads = pass.threads();
        List<KernelAb.Variant> parsed = parse(variants, classpaths);
        Progress progress = new Progress("ab", 2L * parsed.size() + 1 + rounds, System.err);
        KernelAb.Result r = KernelAb.run(pass.model(), pass.context, threads, pass.rows(), warmup, rounds, parsed, stage -> progress.step());
        progress.done();
        return KernelAb.markdown(r);
    }

    static List<KernelAb.Variant> parse(List<String> variants, List<String> classpaths) {
        Map<String, List<Path>> paths = new LinkedHashMap<>();
        for (String c : classpaths) {
            int eq = c.indexOf('=');
            if (eq <= 0 || eq == c.length() - 1) throw new IllegalArgumentException("--classpath takes NAME=PATH[,PATH...], got '" + c + "'");
            paths.put(c.substring(0, eq), Arrays.stream(c.substring(eq + 1).split(",")).map(Path::of).toList());
        }
        List<KernelAb.Variant> list = new ArrayList<>();
        for (String v : variants) {
            int eq = v.indexOf('=');
            String name = eq < 0 ? v : v.substring(0, eq);
            Map<String, String> props = new LinkedHashMap<>();
            if (eq >= 0) {
                for (String kv : v.substring(eq + 1).split(",")) {
                    int e = kv.indexOf('=');
                    if (e <= 0) throw new IllegalArgumentException("variant " + name + ": properties are PROPERTY=VALUE, got '" + kv + "'");
                    props.put(kv.substring(0, e), kv.substring(e + 1));
                }
            }
            if (list.stream().anyMatch(x -> x.name().equals(name))) throw new IllegalArgumentException("two variants are named " + name);
            list.add(new KernelAb.Variant(name, props, paths.remove(name)));
        }
        if (!paths.isEmpty()) throw new IllegalArgumentException("--classpath names no variant: " + paths.keySet());
        return list;
    }
}
