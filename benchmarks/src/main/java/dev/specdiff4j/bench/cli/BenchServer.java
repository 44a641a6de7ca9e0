package dev.specdiff4j.bench.cli;

import dev.specdiff4j.cli.DebugOption;
import dev.specdiff4j.cli.DemoModels;
import dev.specdiff4j.cli.LoadingOptions;
import dev.specdiff4j.engine.api.GenerationConfig;
import dev.specdiff4j.engine.api.Generator;
import dev.specdiff4j.engine.api.Mode;
import dev.specdiff4j.engine.api.ModelSpec;
import dev.specdiff4j.server.CompletionServer;
import dev.specdiff4j.server.ServerDrill;
import dev.specdiff4j.server.ServerSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "server", mixinStandardHelpOptions = true,
        description = {"The server under load and faults, on the demo models: concurrent clients whose answers must equal those served",
            "alone, then rounds of clients that hang up mid-stream, stall half-way through a request or send 10 MB bodies",
            "(the drill ServerLoadTest asserts on). Prints what the server held; asserts nothing, times nothing but the load part."})
final class BenchServer implements Callable<Integer> {
    @Mixin
    DebugOption debug;

    @Option(names = "--clients", defaultValue = "16", description = "Concurrent clients (default: ${DEFAULT-VALUE}).")
    int clients;

    @Option(names = "--requests", defaultValue = "48", description = "Requests of the load part, each also served alone first (default: ${DEFAULT-VALUE}).")
    int requests;

    @Option(names = "--rounds", defaultValue = "4", description = "Rounds of faulty clients (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--threads", defaultValue = "2", description = "Kernel threads (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--idle-timeout", defaultValue = "5", description = "The server's idle timeout in seconds: stalled clients are closed after it "
            + "(default: ${DEFAULT-VALUE}).")
    int idleTimeout;

    @Override
    public Integer call() throws Exception {
        System.out.print(run());
        return 0;
    }

    String run() throws Exception {
        int checkedThreads = LoadingOptions.checkThreads("--threads", threads);
        ModelSpec spec = new ModelSpec(DemoModels.target(), DemoModels.drafter(), DemoModels.arDrafter(), null, null,
                checkedThreads, 0);
        Duration idle = Duration.ofSeconds(idleTimeout);
        try (Generator generator = Generator.open(spec)) {
            int context = generator.target().contextLength();
            ServerSettings settings = ServerSettings.defaults("demo").withAddress("127.0.0.1", 0)
                    .withCapacity(2, 64, Duration.ofMinutes(10)).withLimits(1 << 20, context, Duration.ofMinutes(10))
                    .withDefaults(Mode.SPECDIFF, GenerationConfig.DEFAULT_GAMMA, GenerationConfig.DEFAULT_STEPS)
                    .withConnections(new ServerSettings.Connections(idle, idle, ServerSettings.Connections.defaults().minRequestBytesPerSecond(), 256));
            ServerDrill.Plan plan = new ServerDrill.Plan(clients, requests, rounds, 6, 10, 3, context - 16);
            ServerDrill.Result result;
            try (CompletionServer server = CompletionServer.start(generator, settings)) {
                result = new ServerDrill(server.port(), idle).run(plan);
            }
            StringBuilder md = new StringBuilder();
            md.append(String.format(Locale.ROOT, "The demo models (%s) behind `serve`'s server in this JVM on loopback: %d generations at once, "
                    + "%d kernel threads, idle timeout %d s; hung-up streams ask for %d tokens. The load part's seconds are wall time on a "
                    + "shared machine; every other figure is a count. Heap: this JVM's used heap after a GC, before and after the fault rounds.%n%n",
                    generator.describe(), settings.maxConcurrent(), checkedThreads, idleTimeout, plan.hangUpTokens()));
            md.append(result.markdown());
            for (String e : result.load().errors()) md.append("\n- load error: ").append(e);
            for (String e : result.load().healthFailures()) md.append("\n- health check failed: ").append(e);
            for (String e : result.faults().problems()) md.append("\n- fault part: ").append(e);
            return md.append('\n').toString();
        }
    }
}
