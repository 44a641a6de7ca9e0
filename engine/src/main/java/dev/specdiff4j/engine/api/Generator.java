package dev.specdiff4j.engine.api;

import dev.specdiff4j.engine.decoding.AutoregressiveDecoder;
import dev.specdiff4j.engine.decoding.DecodeStats;
import dev.specdiff4j.engine.kernels.Kernels;
import dev.specdiff4j.engine.kernels.KernelsSelection;
import dev.specdiff4j.engine.model.ContextLimitException;
import dev.specdiff4j.engine.model.Gpt2;
import dev.specdiff4j.engine.model.LoadOptions;
import dev.specdiff4j.tokenizer.Tokenizer;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

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
 * Thread-safe: every call to {@code generate} gets its own KV caches; the weights are shared.
 */
public final class Generator implements AutoCloseable {
    private final ModelSpec spec;
    private final Kernels kernels;
    private final Gpt2 target;
    private final Tokenizer tokenizer;
    private final int eosId;

    private Generator(ModelSpec spec, Kernels kernels, Gpt2 target, Tokenizer tokenizer) {
        this.spec = spec;
        this.kernels = kernels;
        this.target = target;
        this.tokenizer = tokenizer;
        int eos = target.config().eosTokenId();
        if (eos < 0) eos = tokenizer.specialTokenId("<|endoftext|>").orElse(-1);
        this.eosId = eos;
    }

    public static Generator open(ModelSpec spec) throws IOException {
        Kernels kernels = KernelsSelection.create(spec.kernels(), spec.threads());
        Gpt2 target = null;
        try {
            target = Gpt2.load(spec.target(), new LoadOptions(spec.dtype(), kernels));
            Tokenizer tokenizer = target.files().tokenizer();
            if (tokenizer.vocabSize() > target.vocabSize()) {
                throw new IllegalArgumentException("the tokenizer of " + spec.target() + " has " + tokenizer.vocabSize()
                        + " tokens but the model only " + target.vocabSize());
            }
            return new Generator(spec, kernels, target, tokenizer);
        } catch (IOException | RuntimeException e) {
            if (target != null) target.close();
            kernels.close();
            throw e;
        }
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    public Gpt2 target() {
        return target;
    }

    public ModelSpec spec() {
        return spec;
    }

    /** The end-of-text id, or -1 when the model has none. */
    public int eosId() {
        return eosId;
    }

    /** What is loaded and what computes it. */
    public String describe() {
        return "target: " + target.describe();
    }

    public GenerationResult generate(String prompt, GenerationConfig config) {
        return generate(prompt, config, GenerationListener.NONE, new Cancellation());
    }

    public GenerationResult generate(String prompt, GenerationConfig config, GenerationListener listener, Cancellation cancellation) {
        return generate(tokenizer.encode(prompt), config, listener, cancellation);
    }

    /** Generates after a tokenized prompt. An empty prompt starts from the end-of-text token, as GPT-2 does. */
    public GenerationResult generate(int[] prompt, GenerationConfig config, GenerationListener listener, Cancellation cancellation) {
        int[] ids = prompt;
        if (ids.length == 0) {
            if (eosId < 0) throw new IllegalArgumentException("the prompt is empty and the model has no start token");
            ids = new int[] {eosId};
        }
        if (ids.length >= target.contextLength()) {
            throw new ContextLimitException(ids.length + 1, target.contextLength());
        }
        TextAssembler text = new TextAssembler(tokenizer, config.stop(), listener);
        List<int[]> chunks = new ArrayList<>();
        int eos = config.stopAtEos() ? eosId : -1;
        DecodeStats stats = switch (config.mode()) {
            case AR -> new AutoregressiveDecoder(target).decode(ids, config.maxTokens(), config.sampling(), eos,
                    tokens -> {
                        chunks.add(tokens);
                        return text.accept(tokens) && !cancellation.isCancelled();
                    }, cancellation::isCancelled);
            case SD, SPECDIFF -> throw new IllegalStateException("mode " + config.mode() + " is not available yet");
        };
        String finalText = text.finish();
        int[] generated = chunks.stream().flatMapToInt(java.util.Arrays::stream).toArray();
        var reason = cancellation.isCancelled() ? dev.specdiff4j.engine.decoding.FinishReason.CANCELLED
                : text.stopped() ? dev.specdiff4j.engine.decoding.FinishReason.STOP : stats.finishReason();
        return new GenerationResult(finalText, ids, generated, reason, config.mode(), stats, kernels.describe());
    }

    @Override
    public void close() {
        target.close();
        kernels.close();
    }
}
