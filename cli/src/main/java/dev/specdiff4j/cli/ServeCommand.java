package dev.specdiff4j.cli;

import dev.specdiff4j.engine.api.Generator;
import dev.specdiff4j.engine.api.GenerationConfig;
import dev.specdiff4j.engine.api.Mode;
import dev.specdiff4j.engine.api.ModelSpec;
import dev.specdiff4j.server.CompletionServer;
import dev.specdiff4j.server.ServerSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"An OpenAI-compatible HTTP server: POST /v1/completions and /v1/chat/completions (streaming with stream=true;",
            "chat through the model's chat template), POST /tokenize and /detokenize, GET /v1/models and /v1/models/{id},",
            "GET /health/live, GET /health/ready, GET /metrics. Listens on loopback unless --host says otherwise.",
            "Stop it with Ctrl-C or SIGTERM: running requests get --shutdown-grace seconds to finish."})
final class ServeCommand implements Callable<Integer> {
    @Mixin
    DebugOption debug;

    @Mixin
    LoadingOptions loading;

    @Mixin
    ContextSizeOption context;

    @Option(names = {"-m", "--model"}, paramLabel = "PATH", description = "Target (default: the bundled demo target).")
    Path model;

    @Option(names = "--drafter", paramLabel = "PATH", description = "Drafter for specdiff: an MDLM or a block drafter folder (default: the bundled block drafter; the bundled MDLM with --model).")
    Path drafter;

    @Option(names = {"--ar-drafter", "-md", "--model-draft"}, paramLabel = "PATH", description = "Autoregressive drafter for mode sd (default: the bundled demo one).")
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

    @Option(names = "--gamma", description = "Default draft length (default: " + GenerationConfig.BLOCK_DRAFTER_GAMMA + " with a block drafter, else "
            + GenerateCommand.DEFAULT_GAMMA + ").")
    Integer gamma;

    @Option(names = "--steps", defaultValue = "" + GenerateCommand.DEFAULT_STEPS, description = "Default denoising steps (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--max-connections", defaultValue = "256", description = "Connections held at once; more wait to be accepted "
            + "(default: ${DEFAULT-VALUE}).")
    int maxConnections;

    @Option(names = "--idle-timeout", defaultValue = "10", description = "Seconds a connection may stay silent, and the deadline for a "
            + "request's headers (default: ${DEFAULT-VALUE}).")
    int idleTimeout;

    @Option(names = "--api-key", paramLabel = "KEY", defaultValue = "${env:SPECDIFF4J_API_KEY}", description = "Require "
            + "'Authorization: Bearer KEY' on /v1/*, /tokenize and /detokenize; /health* and /metrics stay open (default: the "
            + "SPECDIFF4J_API_KEY environment variable; none: open).")
    String apiKey;

    @Option(names = "--allowed-hosts", paramLabel = "NAME", split = ",", description = "Host header names accepted besides the bound "
            + "address and localhost (against DNS rebinding; checked unless bound to 0.0.0.0 with no list).")
    Set<String> allowedHosts = Set.of();

    @Option(names = "--alias", paramLabel = "NAME", description = "The model id the API reports and /v1/models/{id} answers to "
            + "(default: the target's file or folder name).")
    String alias;

    @Option(names = "--cors-origin", paramLabel = "ORIGIN", split = ",", description = "Let web pages from this origin (e.g. "
            + "https://app.example.org, or * for any) call the API from a browser; repeatable (default: none, CORS off).")
    Set<String> corsOrigins = Set.of();

    @Option(names = "--shutdown-grace", defaultValue = "10", description = "Seconds a shutdown (SIGTERM, Ctrl-C) lets running requests "
            + "finish before it stops them (default: ${DEFAULT-VALUE}).")
    int shutdownGrace;

    @Override
    public Integer call() throws Exception {
        Path target = model != null ? model : DemoModels.target();
        Path diffusion = drafter != null ? drafter : DemoModels.mainJobDrafterIfPresent(model == null);
        Path ar = arDrafter != null ? arDrafter : DemoModels.arDrafterIfPresent();
        ModelSpec spec = context.applyTo(new ModelSpec(target, diffusion, ar, loading.dtype(), loading.kernels, loading.threads(), 0));
        ServerSettings settings = settings(alias != null ? alias : target.getFileName().toString(),
                gamma != null ? gamma : spec.defaultGamma(Mode.parse(mode)));
        // listening (alive, not ready) while the models load, so that a load balancer's probes can tell the two apart
        try (CompletionServer server = CompletionServer.startLoading(settings, () -> Generator.open(spec))) {
            System.err.printf("listening on http://%s:%d; loading the models%n", host, server.port());
            Generator generator = server.awaitLoaded(); // a SIGTERM before this point just ends the process: nothing is in flight
            CountDownLatch drained = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> drainOnShutdown(server, settings.shutdownGrace(), drained), "specdiff4j-shutdown"));
            System.err.printf("serving %s on http://%s:%d (%s)%n", settings.modelName(), host, server.port(), generator.describe());
            drained.await();
        }
        return 0;
    }

    /** Checked before the models load, so that a bad option is refused at once. */
    ServerSettings settings(String modelName, int defaultGamma) {
        return ServerSettings.defaults(modelName).withModelName(modelName)
                .withAddress(host, port).withCapacity(maxConcurrent, maxQueue, Duration.ofSeconds(queueWait))
                .withLimits(maxBody, maxTokensLimit, Duration.ofSeconds(timeout)).withDefaults(Mode.parse(mode), defaultGamma, steps)
                .withConnections(new ServerSettings.Connections(Duration.ofSeconds(idleTimeout), Duration.ofSeconds(idleTimeout),
                        ServerSettings.Connections.defaults().minRequestBytesPerSecond(), maxConnections))
                .withAccess(new ServerSettings.Access(apiKey, allowedHosts, corsOrigins))
                .withShutdownGrace(Duration.ofSeconds(shutdownGrace));
    }

    private static void drainOnShutdown(CompletionServer server, Duration grace, CountDownLatch drained) {
        System.err.println("shutting down: letting running requests finish");
        try {
            if (!server.drain(grace)) System.err.println("stopped the requests still running at the end of the grace period");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            drained.countDown();
        }
    }
}
