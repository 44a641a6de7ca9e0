package dev.specdiff4j.cli;

import dev.specdiff4j.engine.api.Generator;
import dev.specdiff4j.engine.api.Mode;
import dev.specdiff4j.engine.api.ModelSpec;
import dev.specdiff4j.server.CompletionServer;
import dev.specdiff4j.server.ServerSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"An OpenAI-compatible HTTP server: POST /v1/completions (streaming with stream=true), GET /v1/models,",
            "GET /health, GET /metrics. Listens on loopback unless --host says otherwise. Stop it with Ctrl-C."})
final class ServeCommand implements Callable<Integer> {
    @Mixin
    DebugOption debug;

    @Mixin
    LoadingOptions loading;

    @Option(names = "--model", paramLabel = "PATH", description = "Target (default: the bundled demo target).")
    Path model;

    @Option(names = "--drafter", paramLabel = "PATH", description = "Diffusion drafter (default: the bundled demo drafter).")
    Path drafter;

    @Option(names = "--ar-drafter", paramLabel = "PATH", description = "Autoregressive drafter for mode sd (default: the bundled demo one).")
    Path arDrafter;

    @Option(names = "--port", defaultValue = "8080", description = "Port (default: ${DEFAULT-VALUE}; 0 picks a free one).")
    int port;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to bind (default: ${DEFAULT-VALUE}, loopback only; "
            + "0.0.0.0 exposes the server to the network).")
    String host;

    @Option(names = "--max-concurrent", defaultValue = "2", description = "Generations at once (default: ${DEFAULT-VALUE}).")
    int maxConcurrent;

    @Option(names = "--max-queue", defaultValue = "32", description = "Requests waiting for a slot before 429 (default: ${DEFAULT-VALUE}).")
    int maxQueue;

    @Option(names = "--queue-wait", defaultValue = "30", description = "Seconds a queued request may wait before 503 (default: ${DEFAULT-VALUE}).")
    int queueWait;

    @Option(names = "--max-tokens-limit", defaultValue = "1024", description = "Largest max_tokens accepted (default: ${DEFAULT-VALUE}).")
    int maxTokensLimit;

    @Option(names = "--max-body", defaultValue = "1048576", description = "Request body limit in bytes (default: ${DEFAULT-VALUE}).")
    long maxBody;

    @Option(names = "--timeout", defaultValue = "120", description = "Seconds a generation may run (default: ${DEFAULT-VALUE}).")
    int timeout;

    @Option(names = "--mode", defaultValue = "specdiff", description = "Default mode for requests that choose none (default: ${DEFAULT-VALUE}).")
    String mode;

    @Option(names = "--gamma", defaultValue = "" + GenerateCommand.DEFAULT_GAMMA, description = "Default draft length (default: ${DEFAULT-VALUE}).")
    int gamma;

    @Option(names = "--steps", defaultValue = "" + GenerateCommand.DEFAULT_STEPS, description = "Default denoising steps (default: ${DEFAULT-VALUE}).")
    int steps;

    @Override
    public Integer call() throws Exception {
        Path target = model != null ? model : DemoModels.target();
        Path diffusion = drafter != null ? drafter : DemoModels.drafterIfPresent();
        Path ar = arDrafter != null ? arDrafter : DemoModels.arDrafterIfPresent();
        ModelSpec spec = new ModelSpec(target, diffusion, ar, loading.dtype(), loading.kernels, loading.threads(), 0);
        try (Generator generator = Generator.open(spec)) {
            ServerSettings settings = ServerSettings.defaults(target.getFileName().toString())
                    .withAddress(host, port).withCapacity(maxConcurrent, maxQueue, Duration.ofSeconds(queueWait))
                    .withLimits(maxBody, maxTokensLimit, Duration.ofSeconds(timeout)).withDefaults(Mode.parse(mode), gamma, steps);
            try (CompletionServer server = CompletionServer.start(generator, settings)) {
                System.err.printf("serving %s on http://%s:%d (%s)%n", settings.modelName(), host, server.port(), generator.describe());
                CountDownLatch stop = new CountDownLatch(1);
                Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
                stop.await();
            }
        }
        return 0;
    }
}
