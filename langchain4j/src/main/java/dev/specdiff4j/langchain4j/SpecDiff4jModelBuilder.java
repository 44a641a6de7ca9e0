package dev.specdiff4j.langchain4j;

import dev.langchain4j.data.message.ChatMessage;
import dev.specdiff4j.engine.api.GenerationConfig;
import dev.specdiff4j.engine.api.Generator;
import dev.specdiff4j.engine.api.Mode;
import dev.specdiff4j.engine.api.ModelSpec;
import dev.specdiff4j.engine.decoding.AcceptancePolicy;
import dev.specdiff4j.engine.decoding.DraftingConfig;
import dev.specdiff4j.engine.decoding.SamplingConfig;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.function.Function;

/**
 * The options every specdiff4j LangChain4j model is built with: where the models come from (a shared {@link Generator}, or a
 * target and drafters that the model loads and closes itself), the speculative settings (mode, γ, T, acceptance policy,
 * drafter window) and the defaults of each request (tokens, sampling, stop strings). Unset options keep
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
    private Function<List<ChatMessage>, String> promptFormatter = ChatPrompts.plain();

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

    /** Stop strings (default: none; for the chat models with the plain format, {@link ChatPrompts#PLAIN_TURN_END}). */
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
     * How the chat models turn messages into a prompt (default: {@link ChatPrompts#plain()}). A model's chat template plugs in
     * here.
     */
    public B promptFormatter(Function<List<ChatMessage>, String> promptFormatter) {
        this.promptFormatter = promptFormatter;
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
        if (promptFormatter == null) throw new IllegalStateException("promptFormatter must not be null");
        config.sampling(new SamplingConfig(temperature, topK, topP, seed));
        if (window != null) config.drafting(new DraftingConfig(window, false, true));
        List<String> stops = stop != null ? stop : chat && promptFormatter == ChatPrompts.plain() ? List.of(ChatPrompts.PLAIN_TURN_END) : List.of();
        GenerationConfig base = config.stop(stops).build();
        ModelSpec spec = null;
        if (target != null) {
            spec = ModelSpec.of(target);
            if (diffusionDrafter != null) spec = spec.withDiffusionDrafter(diffusionDrafter);
            if (arDrafter != null) spec = spec.withArDrafter(arDrafter);
            if (kernels != null) spec = spec.withKernels(kernels, threads > 0 ? threads : Runtime.getRuntime().availableProcessors(), 0);
        }
        return Core.open(generator, spec, base, modelName, executor, promptFormatter);
    }
}
