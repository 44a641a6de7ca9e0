package dev.specdiff4j.cli;

import dev.specdiff4j.chat.ChatMessage;
import dev.specdiff4j.chat.ChatPrompts;
import dev.specdiff4j.chat.ChatTemplate;
import dev.specdiff4j.engine.api.Cancellation;
import dev.specdiff4j.engine.api.GenerationConfig;
import dev.specdiff4j.engine.api.GenerationListener;
import dev.specdiff4j.engine.api.GenerationResult;
import dev.specdiff4j.engine.api.Generator;
import dev.specdiff4j.engine.api.Mode;
import dev.specdiff4j.engine.api.ModelSpec;
import dev.specdiff4j.engine.decoding.AcceptancePolicy;
import dev.specdiff4j.engine.decoding.DecodeStats;
import dev.specdiff4j.engine.decoding.DraftingConfig;
import dev.specdiff4j.engine.decoding.SamplingConfig;
import dev.specdiff4j.json.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Generate text after a prompt (the argument or -p, or standard input when both are absent).",
            "Streams the text to stdout and prints a one-line summary to stderr; --json prints one JSON object instead.",
            "With --chat the prompt is a user message, rendered with the model's chat template (after --system, if given)."})
final class GenerateCommand implements Callable<Integer> {
    static final int DEFAULT_GAMMA = GenerationConfig.DEFAULT_GAMMA;
    static final int DEFAULT_STEPS = GenerationConfig.DEFAULT_STEPS;

    @Mixin
    DebugOption debug;

    @Mixin
    SamplingOptions sampling;

    @Mixin
    LoadingOptions loading;

    @Mixin
    ContextSizeOption context;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    PromptInput prompt;

    @Option(names = {"-m", "--model"}, paramLabel = "PATH", description = "Target: HF GPT-2 folder or .gguf file (default: the bundled demo target).")
    Path model;

    @Option(names = "--mode", defaultValue = "specdiff", description = "ar, sd (autoregressive drafter) or specdiff (default: ${DEFAULT-VALUE}).")
    String mode;

    @Option(names = "--drafter", paramLabel = "PATH", description = "Drafter for specdiff: an MDLM folder or a block drafter folder, told apart by its config "
            + "(default: the bundled block drafter; the bundled MDLM with --model, --overlap or a device).")
    Path drafter;

    @Option(names = {"--ar-drafter", "-md", "--model-draft"}, paramLabel = "PATH", description = "Autoregressive drafter (small GPT-2) for sd (default: the bundled demo one).")
    Path arDrafter;

    @Option(names = {"--gamma", "--draft-max"}, description = "Draft length γ (default: " + GenerationConfig.BLOCK_DRAFTER_GAMMA
            + " with a block drafter, else " + DEFAULT_GAMMA + ").")
    Integer gamma;

    @Option(names = "--steps", defaultValue = "" + DEFAULT_STEPS, description = "Denoising steps T of the diffusion drafter (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--verify", paramLabel = "greedy|strict|marginal",
            description = "Acceptance policy (default: greedy at temperature 0, strict otherwise).")
    String verify;

    @Option(names = "--overlap", description = "Draft the next block while the target verifies the current one (drafter on its own thread).")
    boolean overlap;

    @Option(names = "--adaptive", paramLabel = "MIN:MAX", description = "Adapt γ to the recent acceptance within these bounds.")
    String adaptive;

    @Option(names = "--tree", paramLabel = "N|auto|chain|off",
            description = "Token-tree verification: a tree of at most N drafted nodes (depth γ) verified in one pass, auto: the size that pays best each round on this machine, "
                    + "or chain: a linear draft whose length (at most γ) is chosen that way each round (default: off).")
    String tree;

    @Option(names = "--window", defaultValue = "" + DraftingConfig.DEFAULT_WINDOW, description = "The diffusion drafter sees at most this many recent tokens (default: ${DEFAULT-VALUE}).")
    int window;

    @Option(names = "--exact-drafting", description = "Recompute the whole drafter window at every denoising step (default: cached prefix).")
    boolean exactDrafting;

    @Option(names = "--pad-to-model", description = "Pad the drafter input with MASK up to its model length.")
    boolean padToModel;

    @Option(names = "--drafter-threads", description = "Threads of the drafter's own kernels (default: 1 with --overlap, else shared with the target).")
    Integer drafterThreads;

    @Option(names = "--compare", description = "Also run plain autoregressive decoding (after a warm-up of both; each mode timed once, a rough figure: `bench specdiff` measures properly) and print the speedup.")
    boolean compare;

    @Option(names = {"-n", "--max-tokens", "--n-predict"}, defaultValue = "128", description = "Tokens to generate at most (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--device", defaultValue = "cpu", paramLabel = "cpu|tornado[:D:I]",
            description = "Where the target computes: cpu, or a TornadoVM device (needs a TornadoVM build and JVM; see the README).")
    String device;

    @Option(names = "--drafter-device", defaultValue = "cpu", paramLabel = "cpu|tornado[:D:I]",
            description = "Where the diffusion drafter's denoising passes run (default: cpu).")
    String drafterDevice;

    @Option(names = "--no-eos", description = "Do not stop at the end-of-text token.")
    boolean noEos;

    @Option(names = "--stop", paramLabel = "TEXT", description = "Stop before this text (repeatable).")
    List<String> stop;

    @Option(names = "--json", description = "Print one JSON object (text, token ids, stats) instead of streaming.")
    boolean json;

    @Option(names = "--chat", description = "Treat the prompt as a user message and render it with the model's chat template; "
            + "the reply stops where the template ends a reply.")
    boolean chat;

    @Option(names = "--system", paramLabel = "TEXT", description = "With --chat: a system message before the user's.")
    String system;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        String text = prompt.read(spec);
        if (system != null && !chat) throw new IllegalArgumentException("--system needs --chat");
        Mode m = Mode.parse(mode);
        config(m, DEFAULT_GAMMA); // bad options are refused before anything loads
        int draftThreads = drafterThreads != null ? LoadingOptions.checkThreads("--drafter-threads", drafterThreads) : overlap ? 1 : 0;
        Path target = model != null ? model : DemoModels.target();
        Path diffusion = m == Mode.SPECDIFF || drafter != null ? (drafter != null ? drafter
                : DemoModels.mainJobDrafter(model == null, overlap, "cpu".equals(device) && "cpu".equals(drafterDevice))) : null;
        Path ar = m == Mode.SD || arDrafter != null ? (arDrafter != null ? arDrafter : DemoModels.arDrafter()) : null;
        ModelSpec modelSpec = context.applyTo(new ModelSpec(target, diffusion, ar, loading.dtype(), loading.kernels, loading.threads(),
                draftThreads, device, drafterDevice));
        GenerationConfig config = config(m, gamma != null ? gamma : modelSpec.defaultGamma(m));
        long loadStart = System.nanoTime();
        try (Generator generator = Generator.open(modelSpec)) {
            if (!json) err.printf("loaded in %.2f s: %s%n", (System.nanoTime() - loadStart) / 1e9, generator.describe());
            err.flush();
            int[] ids = generator.tokenizer().encodeForModel(text);
            if (chat) {
                ChatTemplate template = ChatCommand.templateOf(generator);
                List<ChatMessage> messages = new ArrayList<>();
                if (system != null) messages.add(ChatMessage.system(system));
                messages.add(ChatMessage.user(text));
                ids = ChatPrompts.encode(template, generator.tokenizer(), messages);
                config = ChatPrompts.stopAtReplyEnd(template, config);
            }
            GenerationResult baseline = null;
            if (compare) {
                GenerationConfig arConfig = config.toBuilder().mode(Mode.AR).build();
                if (!json) err.println("warming up (both modes, 16 tokens), then timing each mode once...");
                generator.generate(ids, config.toBuilder().maxTokens(16).build(), GenerationListener.NONE, new Cancellation());
                generator.generate(ids, arConfig.toBuilder().maxTokens(16).build(), GenerationListener.NONE, new Cancellation());
                baseline = generator.generate(ids, arConfig, GenerationListener.NONE, new Cancellation());
            }
            GenerationListener listener = json ? GenerationListener.NONE : piece -> {
                out.print(piece);
                out.flush();
            };
            GenerationResult result = generator.generate(ids, config, listener, new Cancellation());
            if (json) {
                Map<String, Object> root = toJson(result);
                if (baseline != null) {
                    Map<String, Object> cmp = new LinkedHashMap<>();
                    cmp.put("ar_tokens_per_second", baseline.stats().tokensPerSecond());
                    cmp.put("speedup", result.stats().tokensPerSecond() / baseline.stats().tokensPerSecond());
                    cmp.put("same_tokens", Arrays.equals(baseline.tokens(), result.tokens()));
                    root.put("compare", cmp);
                }
                out.println(Json.write(root));
            } else {
                out.println();
                err.println(summary(result));
                if (baseline != null) {
                    err.printf("[compare] ar %.1f tok/s, %s %.1f tok/s: speedup %.2fx%s%n", baseline.stats().tokensPerSecond(),
                            m.name().toLowerCase(), result.stats().tokensPerSecond(), result.stats().tokensPerSecond() / baseline.stats().tokensPerSecond(),
                            config.sampling().isGreedy() ? (Arrays.equals(baseline.tokens(), result.tokens())
                                    ? ", identical tokens" : ", TOKENS DIFFER (a bug: please report it)") : "");
                }
            }
            out.flush();
            err.flush();
        }
        return 0;
    }

    /** The options as a generation config, with {@code defaultGamma} where --gamma is absent (inside the --adaptive bounds). */
    GenerationConfig config(Mode m, int defaultGamma) {
        SamplingConfig samplingConfig = sampling.config();
        AcceptancePolicy policy = verify != null ? AcceptancePolicy.parse(verify)
                : samplingConfig.isGreedy() ? AcceptancePolicy.GREEDY : AcceptancePolicy.STRICT;
        GenerationConfig.AdaptiveGamma bounds = null;
        if (adaptive != null) {
            String[] parts = adaptive.split(":");
            if (parts.length != 2) throw new IllegalArgumentException("--adaptive takes MIN:MAX, for example 2:16");
            try {
                bounds = new GenerationConfig.AdaptiveGamma(Integer.parseInt(parts[0].trim()), Integer.parseInt(parts[1].trim()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--adaptive takes MIN:MAX with whole numbers, got '" + adaptive + "'");
            }
        }
        int g = gamma != null ? gamma : bounds == null ? defaultGamma : Math.max(bounds.min(), Math.min(bounds.max(), defaultGamma));
        return GenerationConfig.builder().mode(m).maxTokens(maxTokens).sampling(samplingConfig).gamma(g).steps(steps).verify(policy)
                .overlap(overlap).adaptive(bounds).tree(tree == null ? GenerationConfig.DEFAULT_TREE : GenerationConfig.parseTree(tree)).drafting(new DraftingConfig(window, padToModel, !exactDrafting))
                .stop(stop).stopAtEos(!noEos).build();
    }

    static String summary(GenerationResult r) {
        DecodeStats s = r.stats();
        StringBuilder b = new StringBuilder(String.format("[%s] %d tokens in %.2f s: %.1f tok/s (prompt %d tokens, %.0f tok/s)",
                r.mode().name().toLowerCase(), s.generatedTokens(), s.decodeNanos() / 1e9, s.tokensPerSecond(),
                s.promptTokens(), s.promptTokensPerSecond()));
        if (s.rounds() > 0) {
            b.append(String.format(", acceptance %.2f, %.2f tokens/round", s.acceptanceRate(), s.meanTokensPerRound()));
        }
        b.append(", ").append(r.finishReason().name().toLowerCase()).append("; ").append(r.kernels());
        return b.toString();
    }

    static Map<String, Object> toJson(GenerationResult r) {
        Map<String, Object> stats = r.stats().toMap();
        stats.put("finish_reason", r.finishReason().name().toLowerCase());
        stats.put("mode", r.mode().name().toLowerCase());
        stats.put("kernels", r.kernels());
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("text", r.text());
        root.put("prompt_tokens", r.promptTokens());
        root.put("tokens", r.tokens());
        root.put("stats", stats);
        return root;
    }
}
