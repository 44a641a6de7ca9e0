package dev.specdiff4j.engine.api;

import dev.specdiff4j.engine.batch.BatchScheduler;
import dev.specdiff4j.engine.batch.BatchSettings;
import dev.specdiff4j.engine.batch.BatchStats;
import dev.specdiff4j.engine.batch.BatchedDecoder;
import dev.specdiff4j.engine.decoding.AutoregressiveDrafter;
import dev.specdiff4j.engine.decoding.BlockDrafter;
import dev.specdiff4j.engine.decoding.DecodeStats;
import dev.specdiff4j.engine.decoding.DiffusionDrafter;
import dev.specdiff4j.engine.decoding.Drafter;
import dev.specdiff4j.engine.decoding.SpeculativeDecoder;
import dev.specdiff4j.engine.decoding.SpeculativeSettings;
import dev.specdiff4j.engine.decoding.TokenSink;
import dev.specdiff4j.engine.device.DeviceBackend;
import dev.specdiff4j.engine.device.DeviceBackends;
import dev.specdiff4j.engine.model.BlockDiffusionDrafter;
import dev.specdiff4j.engine.model.CausalLanguageModel;
import dev.specdiff4j.engine.model.ModelFiles;
import dev.specdiff4j.engine.model.MaskedDiffusionLm;
import dev.specdiff4j.engine.kernels.Kernels;
import dev.specdiff4j.engine.kernels.KernelsSelection;
import dev.specdiff4j.engine.model.ContextLimitException;
import dev.specdiff4j.engine.model.Gpt2;
import dev.specdiff4j.engine.model.LoadOptions;
import dev.specdiff4j.engine.model.LoadedModel;
import dev.specdiff4j.engine.model.transformer.Transformer;
import dev.specdiff4j.tokenizer.Tokenizer;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

/**
 * The embedding API: models loaded once, shared by any number of concurrent generations.
 *
 * <pre>{@code
 * try (Generator g = Generator.open(ModelSpec.of(Path.of("models/demo/target")))) {
 *     GenerationResult r = g.generate("The jury said", GenerationConfig.builder().mode(Mode.AR).build());
 *     System.out.println(r.text());
 * }
 * }</pre>
 *
 * Thread-safe: every call to {@code generate} gets its own KV caches; the weights are shared. Generations of all threads go
 * through one {@link BatchScheduler} (continuous batching: one pass per step over every running generation, each one's
 * tokens exactly what it would get alone): plain ones ({@link Mode#AR}) with one row a step, speculative ones with their
 * last token and their draft (AR or MDLM drafter, linear drafts). Token trees, overlapped drafting and the block drafter
 * (it reads the target's hidden states) run one generation per call instead, their passes taking turns on the kernels.
 *
 * <p>{@link #close()} may be called while generations run, from any thread: each running generation
 * stops at its next token (plain decoding) or round (speculative decoding) and throws
 * {@link GeneratorClosedException}; a generation that had already finished returns its result as usual.
 * {@code close} returns once the generations of other threads have stopped and the models are released;
 * called from inside a listener, it releases them when that generation returns. Later calls to
 * {@code generate} throw {@link GeneratorClosedException}; a second {@code close} does nothing.
 */
public final class Generator implements AutoCloseable {
    private final ModelSpec spec;
    private final Kernels kernels;
    private final Kernels drafterKernels;
    private final LoadedModel target;
    private final CausalLanguageModel decodingTarget;
    private final MaskedDiffusionLm diffusionDrafter;
    private final BlockDiffusionDrafter blockDrafter;
    private final LoadedModel arDrafter;
    private final Tokenizer tokenizer;
    private final int eosId;
    /** Tokens a generation may hold, prompt and reply: the spec's context size, else the target's whole context. */
    private final int contextLength;
    private final ExecutorService background;
    private final BatchScheduler batch;
    private final Generations generations = new Generations(this::release);

    private Generator(ModelSpec spec, Kernels kernels, Kernels drafterKernels, LoadedModel target, CausalLanguageModel decodingTarget,
                      MaskedDiffusionLm diffusionDrafter, BlockDiffusionDrafter blockDrafter, LoadedModel arDrafter, Tokenizer tokenizer,
                      BatchSettings batchSettings) {
        this.spec = spec;
        this.kernels = kernels;
        this.drafterKernels = drafterKernels;
        this.target = target;
        this.decodingTarget = decodingTarget;
        this.diffusionDrafter = diffusionDrafter;
        this.blockDrafter = blockDrafter;
        this.arDrafter = arDrafter;
        this.tokenizer = tokenizer;
        int eos = target.eosTokenId();
        if (eos < 0) eos = tokenizer.specialTokenId("<|endoftext|>").orElse(-1);
        this.eosId = eos;
        this.contextLength = spec.contextSize() > 0 ? spec.contextSize() : target.contextLength();
        this.background = Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().daemon().name("specdiff4j-draft-ahead").unstarted(r));
        this.batch = new BatchScheduler(decodingTarget, batchSettings);
    }

    /** Loads the target and whichever drafters the spec names, and checks that they fit together. */
    public static Generator open(ModelSpec spec) throws IOException {
        return open(spec, BatchSettings.defaults());
    }

    /** As {@link #open(ModelSpec)}, with the continuous-batching limits of plain autoregressive generations. */
    public static Generator open(ModelSpec spec, BatchSettings batchSettings) throws IOException {
        List<AutoCloseable> opened = new ArrayList<>();
        try {
            Kernels kernels = track(opened, KernelsSelection.create(spec.kernels(), spec.threads()));
            Kernels drafterKernels = spec.drafterThreads() == 0 ? kernels
                    : track(opened, KernelsSelection.create(spec.kernels(), spec.drafterThreads()));
            LoadedModel target = track(opened, LoadedModel.load(spec.target(), new LoadOptions(spec.dtype(), kernels)));
            if (spec.contextSize() > target.contextLength()) {
                throw new IllegalArgumentException("a context size of " + spec.contextSize() + " tokens is more than " + spec.target()
                        + " holds (" + target.contextLength() + ")");
            }
            Tokenizer tokenizer = target.files().anyTokenizer();
            if (tokenizer.vocabSize() > target.vocabSize()) {
                throw new IllegalArgumentException("the tokenizer of " + spec.target() + " has " + tokenizer.vocabSize()
                        + " tokens but the model only " + target.vocabSize());
            }
            MaskedDiffusionLm diffusion = null;
            BlockDiffusionDrafter block = null;
            if (spec.diffusionDrafter() != null && isBlockDrafter(spec.diffusionDrafter())) {
                if (DeviceBackends.parse(spec.drafterDevice()) != null) {
                    throw new IllegalArgumentException("the block drafter " + spec.diffusionDrafter() + " runs on the CPU beside the target; "
                            + "a drafter device applies to MDLM drafters only");
                }
                Transformer core = transformerCore(target);
                if (core == null) {
                    throw new IllegalArgumentException("block drafters read a transformer target's hidden states; " + spec.target() + " is not one");
                }
                block = track(opened, BlockDiffusionDrafter.load(spec.diffusionDrafter(), core, new LoadOptions(spec.dtype(), drafterKernels)));
            } else if (spec.diffusionDrafter() != null) {
                diffusion = track(opened, MaskedDiffusionLm.load(spec.diffusionDrafter(), new LoadOptions(spec.dtype(), drafterKernels)));
                VocabularyCheck.diffusionDrafter(spec.diffusionDrafter(), diffusion, spec.target(), target, tokenizer);
            }
            LoadedModel ar = null;
            if (spec.arDrafter() != null) {
                ar = track(opened, LoadedModel.load(spec.arDrafter(), new LoadOptions(spec.dtype(), drafterKernels)));
                VocabularyCheck.autoregressiveDrafter(spec.arDrafter(), ar, spec.target(), target, tokenizer);
            }
            CausalLanguageModel decoding = target;
            String[] targetDevice = DeviceBackends.parse(spec.targetDevice());
            if (targetDevice != null) {
                Transformer core = transformerCore(target);
                if (core == null) throw new IllegalArgumentException("device backends run transformer targets; " + spec.target() + " is not one");
                decoding = track(opened, DeviceBackends.find(targetDevice[0]).offload(core.spec(), core.weights(), targetDevice[1]));
            }
            String[] drafterDevice = DeviceBackends.parse(spec.drafterDevice());
            if (drafterDevice != null) {
                if (diffusion == null) throw new IllegalArgumentException("a drafter device was given but no diffusion drafter");
                DeviceBackend backend = DeviceBackends.find(drafterDevice[0]);
                MaskedDiffusionLm.Passes probe = backend.offload(diffusion, drafterDevice[1]);
                if (probe == null) throw new IllegalStateException("the " + drafterDevice[0] + " backend cannot run diffusion drafters");
                String description = probe.describe();
                probe.close();
                MaskedDiffusionLm model = diffusion;
                String id = drafterDevice[1];
                diffusion.useDevice(length -> backend.offload(model, id), description);
            }
            return new Generator(spec, kernels, drafterKernels, target, decoding, diffusion, block, ar, tokenizer, batchSettings);
        } catch (IOException | RuntimeException e) {
            for (int i = opened.size() - 1; i >= 0; i--) {
                try {
                    opened.get(i).close();
                } catch (Exception suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }

    /** The transformer core that runs a target's passes (a GPT-2's, or the model itself), or null. */
    private static Transformer transformerCore(LoadedModel target) {
        return target instanceof Gpt2 gpt2 ? gpt2.core() : target instanceof Transformer t ? t : null;
    }

    /** Whether a drafter folder holds a target-conditioned block drafter (else it is taken for an MDLM). */
    private static boolean isBlockDrafter(java.nio.file.Path path) throws IOException {
        try (ModelFiles files = ModelFiles.open(path)) {
            return files.architecture() == ModelFiles.Architecture.BLOCK_DRAFTER;
        }
    }

    private static <T extends AutoCloseable> T track(List<AutoCloseable> opened, T resource) {
        opened.add(resource);
        return resource;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /** Tokens a generation may hold, prompt and reply together: {@link ModelSpec#contextSize()}, else the target's context. */
    public int contextLength() {
        return contextLength;
    }

    public LoadedModel target() {
        return target;
    }

    public ModelSpec spec() {
        return spec;
    }

    /** The end-of-text id, or -1 when the model has none. */
    public int eosId() {
        return eosId;
    }

    /** How the batch scheduler fills its passes. */
    public BatchSettings batchSettings() {
        return batch.settings();
    }

    /** The batch scheduler's state (running and queued generations, batch size, KV-cache use, tokens/s). */
    public BatchStats batchStats() {
        return batch.stats();
    }

    /** What is loaded and what computes it. */
    public String describe() {
        StringBuilder b = new StringBuilder("target: " + (decodingTarget == target ? target.describe() : decodingTarget.describe()));
        if (diffusionDrafter != null) b.append("; diffusion drafter: ").append(diffusionDrafter.describe());
        if (blockDrafter != null) b.append("; block drafter: ").append(blockDrafter.describe());
        if (arDrafter != null) b.append("; autoregressive drafter: ").append(arDrafter.describe());
        return b.toString();
    }

    /**
     * A builder with the defaults that fit the loaded drafters: {@code mode} and its default γ
     * ({@link GenerationConfig#defaultGamma}).
     */
    public GenerationConfig.Builder defaults(Mode mode) {
        int gamma = GenerationConfig.defaultGamma(mode, blockDrafter != null, blockDrafter == null ? 0 : blockDrafter.config().maxGamma());
        return GenerationConfig.builder().mode(mode).gamma(gamma);
    }

    /** Whether mode specdiff can run: an MDLM or a block drafter is loaded. */
    public boolean hasDiffusionDrafter() {
        return diffusionDrafter != null || blockDrafter != null;
    }

    public boolean hasArDrafter() {
        return arDrafter != null;
    }

    public MaskedDiffusionLm diffusionDrafter() {
        return diffusionDrafter;
    }

    private Drafter drafterFor(GenerationConfig config) {
        return switch (config.mode()) {
            case SD -> {
                if (arDrafter == null) throw new IllegalStateException("mode sd needs an autoregressive drafter (--ar-drafter)");
                yield new AutoregressiveDrafter(arDrafter);
            }
            case SPECDIFF -> {
                if (blockDrafter != null) yield new BlockDrafter(blockDrafter); // one pass: the step count does not apply
                if (diffusionDrafter == null) throw new IllegalStateException("mode specdiff needs a diffusion drafter (--drafter)");
                yield new DiffusionDrafter(diffusionDrafter, target.vocabSize(), config.steps(), config.drafting());
            }
            case AR -> throw new IllegalStateException("plain autoregressive decoding has no drafter");
        };
    }

    private SpeculativeSettings settings(GenerationConfig config) {
        GenerationConfig.AdaptiveGamma a = config.adaptive();
        return new SpeculativeSettings(config.gamma(), a == null ? config.gamma() : a.min(), a == null ? config.gamma() : a.max(),
                config.verify(), config.sampling(), config.overlap(), config.tree());
    }

    /** The kernels the drafters compute with (the target's own unless the spec gave them threads of their own). */
    public String drafterKernels() {
        return drafterKernels.describe();
    }

    public GenerationResult generate(String prompt, GenerationConfig config) {
        return generate(prompt, config, GenerationListener.NONE, new Cancellation());
    }

    /**
     * Generates after a text prompt, encoded as the model reads text: with the BOS token its tokenizer's files ask for
     * (Llama 2 and 3; GPT-2 and Qwen ask for none), see {@link Tokenizer#encodeForModel(String)}.
     */
    public GenerationResult generate(String prompt, GenerationConfig config, GenerationListener listener, Cancellation cancellation) {
        return generate(tokenizer.encodeForModel(prompt), config, listener, cancellation);
    }

    /**
     * Generates after a tokenized prompt, taken as it is (no BOS is added). An empty prompt starts from the end-of-text
     * token, as GPT-2 does.
     *
     * @throws GeneratorClosedException if the generator is closed, or is closed before this generation ends
     */
    public GenerationResult generate(int[] prompt, GenerationConfig config, GenerationListener listener, Cancellation cancellation) {
        generations.enter();
        try {
            return generateOpen(prompt, config, listener, cancellation);
        } finally {
            generations.exit();
        }
    }

    private GenerationResult generateOpen(int[] prompt, GenerationConfig config, GenerationListener listener, Cancellation cancellation) {
        int[] ids = prompt;
        if (ids.length == 0) {
            if (eosId < 0) throw new IllegalArgumentException("the prompt is empty and the model has no start token");
            ids = new int[] {eosId};
        }
        if (ids.length >= contextLength) {
            throw new ContextLimitException(ids.length + 1, contextLength);
        }
        // a context size below the model's ends a generation where the model's own context would: the last token is never fed
        int room = contextLength - ids.length + 1;
        boolean capped = contextLength < target.contextLength() && config.maxTokens() > room;
        if (capped) config = config.toBuilder().maxTokens(room).build();
        TextAssembler text = new TextAssembler(tokenizer, config.stop(), listener);
        List<int[]> chunks = new ArrayList<>();
        int eos = config.stopAtEos() ? eosId : -1;
        AtomicBoolean stoppedByClose = new AtomicBoolean();
        BooleanSupplier stop = () -> {
            if (cancellation.isCancelled()) return true;
            if (generations.closed()) stoppedByClose.set(true);
            return stoppedByClose.get();
        };
        TokenSink sink = tokens -> {
            chunks.add(tokens);
            return text.accept(tokens) && !stop.getAsBoolean();
        };
        DecodeStats stats = switch (config.mode()) {
            case AR -> new BatchedDecoder(batch).decode(ids, config.maxTokens(), config.sampling(), eos, sink, stop);
            case SD, SPECDIFF -> {
                Drafter drafter = drafterFor(config);
                SpeculativeSettings speculative = settings(config);
                // linear drafts from tokens share the batch's passes; trees, overlap and the block drafter run alone
                yield BatchScheduler.supportsSpeculation(speculative, drafter)
                        ? new BatchedDecoder(batch).decode(ids, config.maxTokens(), speculative, drafter, eos, sink, stop)
                        : new SpeculativeDecoder(decodingTarget, drafter, background).decode(ids, config.maxTokens(), speculative, eos, sink, stop);
            }
        };
        int generatedCount = chunks.stream().mapToInt(c -> c.length).sum();
        if (stoppedByClose.get() && generatedCount < config.maxTokens()) {
            throw new GeneratorClosedException("the generator was closed while this generation ran, after " + generatedCount + " tokens");
        }
        String finalText = text.finish();
        int[] generated = chunks.stream().flatMapToInt(java.util.Arrays::stream).toArray();
        var reason = cancellation.isCancelled() ? dev.specdiff4j.engine.decoding.FinishReason.CANCELLED
                : text.stopped() ? dev.specdiff4j.engine.decoding.FinishReason.STOP
                : capped && stats.finishReason() == dev.specdiff4j.engine.decoding.FinishReason.LENGTH
                ? dev.specdiff4j.engine.decoding.FinishReason.CONTEXT : stats.finishReason();
        String targetKernels = decodingTarget == target ? kernels.describe() : decodingTarget.describe();
        String drafterComputes = config.mode() == Mode.SPECDIFF && spec.drafterDevice() != null && !spec.drafterDevice().equals("cpu")
                ? "device " + spec.drafterDevice() : drafterKernels.describe();
        String computedBy = config.mode() == Mode.AR || (drafterKernels == kernels && decodingTarget == target
                && drafterComputes.equals(kernels.describe())) ? targetKernels : "target " + targetKernels + ", drafter " + drafterComputes;
        return new GenerationResult(finalText, ids, generated, reason, config.mode(), stats, computedBy);
    }

    /** Stops running generations, waits for them and releases the models (see the class comment); a second call does nothing. */
    @Override
    public void close() {
        generations.close();
    }

    private void release() {
        batch.close(); // before the models: its loop may still be in a pass for a generation that has just left
        background.shutdownNow();
        if (decodingTarget != target) decodingTarget.close();
        if (arDrafter != null) arDrafter.close();
        if (diffusionDrafter != null) diffusionDrafter.close();
        if (blockDrafter != null) blockDrafter.close();
        target.close();
        if (drafterKernels != kernels) drafterKernels.close();
        kernels.close();
    }
}
