package dev.specdiff4j.cli;

import dev.specdiff4j.engine.decoding.DiffusionSampler;
import dev.specdiff4j.engine.decoding.DraftingConfig;
import dev.specdiff4j.engine.kernels.Kernels;
import dev.specdiff4j.engine.kernels.KernelsSelection;
import dev.specdiff4j.engine.model.LoadOptions;
import dev.specdiff4j.engine.model.MaskedDiffusionLm;
import dev.specdiff4j.json.Json;
import dev.specdiff4j.tokenizer.Tokenizer;
import dev.specdiff4j.tokenizer.Tokenizers;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

@Command(name = "diffuse", mixinStandardHelpOptions = true,
        description = "Generate N tokens after the prompt by pure masked diffusion (MDLM): all N start masked and are denoised in T steps.")
final class DiffuseCommand implements Callable<Integer> {
    @Mixin
    DebugOption debug;

    @Mixin
    SamplingOptions sampling;

    @Mixin
    LoadingOptions loading;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    PromptInput prompt;

    @Option(names = {"-m", "--model"}, paramLabel = "PATH", description = "An MDLM folder (default: the bundled demo drafter).")
    Path model;

    @Option(names = "--tokenizer", paramLabel = "PATH", description = "Tokenizer (default: the one in the model folder).")
    Path tokenizerPath;

    @Option(names = {"-n", "--length"}, defaultValue = "32", description = "Tokens to generate (default: ${DEFAULT-VALUE}).")
    int length;

    @Option(names = "--steps", defaultValue = "16", description = "Denoising steps T (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--exact", description = "Recompute every position at every step (default: cached prompt).")
    boolean exact;

    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        Path path = model != null ? model : DemoModels.drafter();
        String text = prompt.read(spec);
        try (Kernels k = KernelsSelection.create(loading.kernels, loading.threads());
             MaskedDiffusionLm mdlm = MaskedDiffusionLm.load(path, new LoadOptions(loading.dtype(), k))) {
            Tokenizer tokenizer = tokenizerPath != null ? Tokenizers.load(tokenizerPath) : mdlm.files().tokenizer();
            int vocab = mdlm.config().vocabSize() - 1;
            int[] ids = tokenizer.encode(text);
            if (ids.length == 0) {
                ids = new int[] {tokenizer.specialTokenId("<|endoftext|>").orElseThrow(
                        () -> new IllegalArgumentException("the prompt is empty and the tokenizer has no <|endoftext|>"))};
            }
            if (ids.length + length > mdlm.config().modelLength()) {
                throw new IllegalArgumentException("the prompt (" + ids.length + " tokens) and " + length
                        + " new tokens exceed the model length of " + mdlm.config().modelLength());
            }
            DiffusionSampler sampler = new DiffusionSampler(mdlm, vocab);
            long start = System.nanoTime();
            DiffusionSampler.Draft d = sampler.draft(ids, length, steps, sampling.config(),
                    new DraftingConfig(ids.length, false, !exact), new SplittableRandom(sampling.seed));
            double seconds = (System.nanoTime() - start) / 1e9;
            String output = tokenizer.decode(d.tokens());
            var out = spec.commandLine().getOut();
            if (json) {
                Map<String, Object> stats = new LinkedHashMap<>();
                stats.put("passes", d.passes());
                stats.put("seconds", seconds);
                stats.put("tokens_per_second", length / seconds);
                stats.put("kernels", k.describe());
                Map<String, Object> root = new LinkedHashMap<>();
                root.put("text", output);
                root.put("prompt_tokens", ids);
                root.put("tokens", d.tokens());
                root.put("stats", stats);
                out.println(Json.write(root));
            } else {
                out.println(output);
                System.err.printf("[diffuse] %d tokens in %d passes, %.2f s (%.1f tok/s); %s%n", length, d.passes(), seconds, length / seconds, k.describe());
            }
            out.flush();
        }
        return 0;
    }
}
