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
import dev.specdiff4j.engine.decoding.SamplingConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "chat", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"An interactive, multi-turn chat with the model, through its chat template.",
            "Reads one user message per line from standard input (typed or piped) and streams each reply to stdout, one line per reply.",
            "/reset forgets the conversation (the --system message stays), /exit or the end of the input quits.",
            "When the conversation outgrows the model's context, the oldest turns are dropped (said on stderr)."})
final class ChatCommand implements Callable<Integer> {
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

    @Option(names = {"-m", "--model"}, paramLabel = "PATH", description = "Target: HF folder or .gguf file with a chat template (default: the bundled demo target).")
    Path model;

    @Option(names = "--mode", defaultValue = "specdiff", description = "ar, sd (autoregressive drafter) or specdiff (default: ${DEFAULT-VALUE}).")
    String mode;

    @Option(names = "--drafter", paramLabel = "PATH", description = "Drafter for specdiff: an MDLM or a block drafter folder (default: the bundled block drafter; the bundled MDLM with --model).")
    Path drafter;

    @Option(names = {"--ar-drafter", "-md", "--model-draft"}, paramLabel = "PATH", description = "Autoregressive drafter for sd (default: the bundled demo one).")
    Path arDrafter;

    @Option(names = "--gamma", description = "Draft length γ (default: " + GenerationConfig.BLOCK_DRAFTER_GAMMA + " with a block drafter, else "
            + GenerateCommand.DEFAULT_GAMMA + ").")
    Integer gamma;

    @Option(names = "--steps", defaultValue = "" + GenerateCommand.DEFAULT_STEPS, description = "Denoising steps T (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = {"-n", "--max-tokens", "--n-predict"}, defaultValue = "256", description = "Tokens per reply at most (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--system", paramLabel = "TEXT", description = "A system message that opens the conversation.")
    String system;

    @Option(names = "--stop", paramLabel = "TEXT", description = "Also end a reply before this text (repeatable).")
    List<String> stop;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Mode m = Mode.parse(mode);
        SamplingConfig samplingConfig = sampling.config();
        Path target = model != null ? model : DemoModels.target();
        Path diffusion = m == Mode.SPECDIFF ? (drafter != null ? drafter : DemoModels.mainJobDrafter(model == null, false, true)) : null;
        Path ar = m == Mode.SD ? (arDrafter != null ? arDrafter : DemoModels.arDrafter()) : null;
        ModelSpec modelSpec = context.applyTo(new ModelSpec(target, diffusion, ar, loading.dtype(), loading.kernels, loading.threads(), 0));
        GenerationConfig base = GenerationConfig.builder().mode(m).maxTokens(maxTokens).sampling(samplingConfig)
                .gamma(gamma != null ? gamma : modelSpec.defaultGamma(m)).steps(steps)
                .verify(samplingConfig.isGreedy() ? AcceptancePolicy.GREEDY : AcceptancePolicy.STRICT).stop(stop).stopAtEos(true).build();
        try (Generator generator = Generator.open(modelSpec)) {
            ChatTemplate template = templateOf(generator);
            GenerationConfig config = ChatPrompts.stopAtReplyEnd(template, base);
            boolean interactive = System.console() != null;
            err.println("loaded " + generator.describe() + "; chat template from " + template.origin());
            err.println("one message per line; /reset starts over, /exit or end of input quits");
            err.flush();
            List<ChatMessage> conversation = new ArrayList<>();
            if (system != null) conversation.add(ChatMessage.system(system));
            int opening = conversation.size();
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            while (true) {
                if (interactive) {
                    err.print("> ");
                    err.flush();
                }
                String line = in.readLine();
                if (line == null || line.strip().equals("/exit") || line.strip().equals("/quit")) break;
                if (line.strip().equals("/reset")) {
                    conversation.subList(opening, conversation.size()).clear();
                    err.println("(conversation reset)");
                    err.flush();
                    continue;
                }
                if (line.isBlank()) continue;
                conversation.add(ChatMessage.user(line));
                int[] prompt = fit(generator, template, conversation, opening, err);
                if (prompt == null) {
                    conversation.removeLast();
                    continue;
                }
                GenerationResult reply = generator.generate(prompt, config, text -> {
                    out.print(text);
                    out.flush();
                }, new Cancellation());
                out.println();
                out.flush();
                err.println(GenerateCommand.summary(reply));
                err.flush();
                conversation.add(ChatMessage.assistant(reply.text()));
            }
        }
        return 0;
    }

    /** The prompt of the conversation, dropping its oldest turns until it leaves room for a reply; null if even the last message is too long. */
    private static int[] fit(Generator generator, ChatTemplate template, List<ChatMessage> conversation, int opening, PrintWriter err) {
        int context = generator.contextLength();
        while (true) {
            int[] prompt = ChatPrompts.encode(template, generator.tokenizer(), conversation);
            if (prompt.length < context) return prompt;
            if (conversation.size() - opening <= 1) {
                err.println("that message is too long: the prompt would be " + prompt.length + " tokens and the model's context holds " + context);
                err.flush();
                return null;
            }
            conversation.remove(opening); // the oldest turn after the system message
            if (conversation.size() - opening > 1 && conversation.get(opening).role().equals("assistant")) conversation.remove(opening);
            err.println("(the conversation outgrew the context of " + context + " tokens: dropped the oldest turn)");
            err.flush();
        }
    }

    /** The target's chat template, or an error saying that it has none. */
    static ChatTemplate templateOf(Generator generator) throws IOException {
        return ChatPrompts.template(generator).orElseThrow(() -> new IllegalArgumentException("the model at " + generator.spec().target()
                + " has no chat template (no tokenizer.chat_template in a GGUF file, no chat_template in tokenizer_config.json); "
                + "use generate without --chat"));
    }
}
