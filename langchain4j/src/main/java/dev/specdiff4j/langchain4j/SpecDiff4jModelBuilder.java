package dev.specdiff4j.langchain4j;

import dev.langchain4j.data.message.ChatMessage;
import dev.specdiff4j.chat.ChatTemplate;
import dev.specdiff4j.engine.api.GenerationConfig;
import dev.specdiff4j.engine.api.Generator;
import dev.specdiff4j.engine.api.Mode;
import dev.specdiff4j.engine.api.ModelSpec;
import dev.specdiff4j.engine.decoding.AcceptancePolicy;
import dev.specdiff4j.engine.decoding.DraftingConfig;
import dev.specdiff4j.engine.decoding.SamplingConfig;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.function.Function;

/**
 * The options every specdiff4j LangChain4j model is built with: where the models come from (a shared {@link Generator}, or a
 * target and drafters that the model loads and closes itself), the speculative settings (mode, γ, T, acceptance policy,
 * drafter window, token trees), how the chat models write a conversation as a prompt, and the defaults of each request (tokens, sampling, stop strings). Unset options keep
 * {@link GenerationConfig}'s defaults: specdiff, γ = {@value GenerationConfig#DEFAULT_GAMMA}, T =
 * {@value GenerationConfig#DEFAULT_STEPS}, greedy, 128 tokens.
 */
public abstract class SpecDiff4jModelBuilder<B extends SpecDiff4jModelBuilder<B, M>, M> {
    private Generator generator;
    private Path target;
    private Path diffusionDrafter;
    private Path arDrafter;
    private String kernels;
    private int threads;
    private final GenerationConfig.Builder config = GenerationConfig.builder();
    private double temperature;
    private int topK;
    private double topP = 1;
    private long seed;
    private Integer window;
    private List<String> stop;
    private String modelName;
    private Executor executor = Runnable::run;
    /** Null (with no chat template either): the model's own template, else the plain transcript. */
    private Function<List<ChatMessage>, String> promptFormatter;
    private ChatTemplate chatTemplate;

    SpecDiff4jModelBuilder() {
    }

    @SuppressWarnings("unchecked")
    private B self() {
        return (B) this;
    }

    /** Runs on this already open generator, which may be shared with other models and requests; the model never closes it. */
    public B generator(Generator generator) {
        this.generator = generator;
        return self();
    }

    /** Loads this target (HF GPT-2 folder or .gguf); the model owns the {@link Generator} it opens and closes it in {@code close()}. */
    public B target(Path target) {
        this.target = target;
        return self();
    }

    /** The masked-diffusion drafter (an MDLM folder) that mode {@link Mode#SPECDIFF} drafts with; only with {@link #target}. */
    public B diffusionDrafter(Path drafter) {
        this.diffusionDrafter = drafter;
        return self();
    }

    /** The small autoregressive drafter (a GPT-2) that mode {@link Mode#SD} drafts with; only with {@link #target}. */
    public B arDrafter(Path drafter) {
        this.arDrafter = drafter;
        return self();
    }

    /** Kernels ("vector", or "reference" where the Vector API is absent) and their thread count (0: all processors); only with {@link #target}. */
    public B kernels(String name, int threads) {
        this.kernels = name;
        this.threads = threads;
        return self();
    }

    /** ar (target alone), sd (autoregressive drafter) or specdiff (diffusion drafter; the default). */
    public B mode(Mode mode) {
        config.mode(mode);
        return self();
    }

    /** Draft length γ. */
    public B gamma(int gamma) {
        config.gamma(gamma);
        return self();
    }

    /** Denoising steps T of the diffusion drafter. */
    public B steps(int steps) {
        config.steps(steps);
        return self();
    }

    /** Acceptance policy: greedy (temperature 0 only), strict or marginal (default: greedy at temperature 0, strict otherwise). */
    public B verify(AcceptancePolicy policy) {
        config.verify(policy);
        return self();
    }

    /** Draft the next block while the target verifies the current one. */
    public B overlap(boolean overlap) {
        config.overlap(overlap);
        return self();
    }

    /** Adapt γ to the recent acceptance within these bounds. */
    public B adaptiveGamma(int min, int max) {
        config.adaptive(new GenerationConfig.AdaptiveGamma(min, max));
        return self();
    }

    /**
     * Token-tree verification: 0 off (the default), N &gt; 0 a tree of at most N drafted nodes, {@link GenerationConfig#TREE_AUTO}
     * a size chosen each round from the target's measured cost and the recent acceptance, {@link GenerationConfig#TREE_CHAIN} a
     * linear draft cut the same way ({@link GenerationConfig#parseTree(String)} reads "off", "auto", "chain" or a number).
     * Not with {@link #overlap}, {@link #adaptiveGamma} or marginal acceptance.
     */
    public B tree(int tree) {
        config.tree(tree);
        return self();
    }

    /** How many recent tokens the diffusion drafter sees. */
    public B drafterWindow(int window) {
        this.window = window;
        return self();
    }

    /** Tokens to generate at most, unless a request says otherwise. */
    public B maxTokens(int maxTokens) {
        config.maxTokens(maxTokens);
        return self();
    }

    /** 0 (the default) for greedy decoding. */
    public B temperature(double temperature) {
        this.temperature = temperature;
        return self();
    }

    /** Sample from the k most likely tokens only (0: all). */
    public B topK(int topK) {
        this.topK = topK;
        return self();
    }

    /** Nucleus sampling mass (1: all). */
    public B topP(double topP) {
        this.topP = topP;
        return self();
    }

    /** The random seed of sampling. */
    public B seed(long seed) {
        this.seed = seed;
        return self();
    }

    /**
     * Stop strings (default: none; for the chat models, where the chat template ends a reply, such as {@code <|im_end|>}, or
     * {@link ChatPrompts#PLAIN_TURN_END} in the plain format).
     */
    public B stop(List<String> stop) {
        this.stop = List.copyOf(stop);
        return self();
    }

    /** The model name reported in responses (default: the target's file name). */
    public B modelName(String modelName) {
        this.modelName = modelName;
        return self();
    }

    /** Where the streaming models generate (default: on the calling thread, which returns when the stream has ended). */
    public B executor(Executor executor) {
        this.executor = executor;
        return self();
    }

    /**
     * The chat models render conversations with this template instead of the model's own, special tokens read as their ids,
     * and stop where it ends a reply; for example a template that is not in the model's files:
     * {@code chatTemplate(ChatTemplate.of(Files.readString(jinjaFile), "<s>", "</s>"))}.
     */
    public B chatTemplate(ChatTemplate chatTemplate) {
        this.chatTemplate = Objects.requireNonNull(chatTemplate, "chatTemplate");
        return self();
    }

    /**
     * How the chat models turn messages into prompt text, read as plain text (special-token text is not turned into ids).
     * By default they render the messages with the target model's own chat template, and only when it has none use
     * {@link ChatPrompts#plain()}; {@code promptFormatter(ChatPrompts.plain())} uses the plain transcript with any model.
     */
    public B promptFormatter(Function<List<ChatMessage>, String> promptFormatter) {
        this.promptFormatter = Objects.requireNonNull(promptFormatter, "promptFormatter");
        return self();
    }

    /** Builds the model: checks every setting, and loads the models when a {@link #target} was given. */
    public abstract M build();

    Core core(boolean chat) {
        if ((generator == null) == (target == null)) {
            throw new IllegalStateException(generator == null ? "set either generator(...) or target(...)" : "set generator(...) or target(...), not both");
        }
        if (generator != null && (diffusionDrafter != null || arDrafter != null || kernels != null)) {
            throw new IllegalStateException("drafters and kernels are chosen when the Generator is opened; set them with target(...), not with generator(...)");
        }
        if (promptFormatter != null && chatTemplate != null) throw new IllegalStateException("set promptFormatter(...) or chatTemplate(...), not both");
        config.sampling(new SamplingConfig(temperature, topK, topP, seed));
        if (window != null) config.drafting(new DraftingConfig(window, false, true));
        GenerationConfig checked = config.build(); // bad settings fail here, before any model is loaded
        Generator g = generator != null ? generator : open();
        try {
            ChatFormat format = chat ? chatFormat(g) : null;
            List<String> stops = stop != null ? stop : format != null ? format.replyEnds() : List.of();
            return new Core(g, generator == null, checked.toBuilder().stop(stops).build(), modelName, executor, format);
        } catch (RuntimeException | Error e) {
            if (generator == null) g.close();
            throw e;
        }
    }

    private ChatFormat chatFormat(Generator g) {
        if (promptFormatter == ChatPrompts.plain()) return ChatFormat.plain();
        if (promptFormatter != null) return ChatFormat.custom(promptFormatter);
        if (chatTemplate != null) return ChatFormat.template(chatTemplate);
        return ChatFormat.ofModel(g);
    }

    private Generator open() {
        ModelSpec spec = ModelSpec.of(target);
        if (diffusionDrafter != null) spec = spec.withDiffusionDrafter(diffusionDrafter);
        if (arDrafter != null) spec = spec.withArDrafter(arDrafter);
        if (kernels != null) spec = spec.withKernels(kernels, threads > 0 ? threads : Runtime.getRuntime().availableProcessors(), 0);
        try {
            return Generator.open(spec);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load " + spec.target() + ": " + e.getMessage(), e);
        }
    }
}
