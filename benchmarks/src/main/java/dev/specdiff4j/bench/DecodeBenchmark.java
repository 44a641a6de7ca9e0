package dev.specdiff4j.bench;

import dev.specdiff4j.cli.Progress;
import dev.specdiff4j.engine.api.Cancellation;
import dev.specdiff4j.engine.api.GenerationConfig;
import dev.specdiff4j.engine.api.GenerationListener;
import dev.specdiff4j.engine.api.Generator;
import dev.specdiff4j.engine.api.Mode;
import dev.specdiff4j.engine.api.ModelSpec;
import dev.specdiff4j.engine.model.CausalLanguageModel;
import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.tokenizer.Tokenizers;
import dev.specdiff4j.weights.Converter;
import dev.specdiff4j.weights.RandomCheckpoints;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Plain autoregressive decoding of a GPT-2-small-shaped model (random weights; 124 M parameters, vocabulary
 * 50257) by specdiff4j and by llama.cpp in the same run, on the same GGUF files (F32, Q8_0, Q4_0, Q4_K … exports made
 * by our converter), in balanced order (A B B A …) after a warm-up of a full-length run of each; the ratio is the
 * median of the per-repetition paired ratios with its confidence interval ({@link PairedRatios}). Also the cost of a 16-token verification pass
 * relative to a one-token step, the ratio that decides how much speculative decoding can gain.
 */
public final class DecodeBenchmark {
    /** Results per dtype. */
    public record Result(DType dtype, Samples ours, Samples llama, PairedRatios oursOverLlama, Samples step1Ms, Samples step16Ms) {
        public double ratioToLlama() {
            return oursOverLlama.median();
        }

        public double verifyCostRatio() {
            return step16Ms.median() / step1Ms.median();
        }
    }

    private final Path work;
    private final Path tokenizer;
    private final int threads;
    private final int tokens;
    private final int repeats;
    private final PrintStream log;

    public DecodeBenchmark(Path work, Path tokenizer, int threads, int tokens, int repeats, PrintStream log) {
        this.work = work;
        this.tokenizer = tokenizer;
        this.threads = threads;
        this.tokens = tokens;
        this.repeats = repeats;
        this.log = log;
    }

    /** The GGUF export of a random GPT-2 small in a dtype, made once and kept in the work folder. */
    Path model(DType dtype) throws IOException {
        Path hf = work.resolve("gpt2-small-random");
        if (!Files.exists(hf.resolve("model.safetensors"))) {
            log.println("writing a random-weight GPT-2 small (124 M parameters) to " + hf);
            RandomCheckpoints.gpt2(hf, RandomCheckpoints.Gpt2Shape.SMALL, DType.F32, 42);
            RandomCheckpoints.addTokenizer(hf, Tokenizers.load(tokenizer));
        }
        Path gguf = work.resolve("gpt2-small-random-" + dtype.displayName() + ".gguf");
        if (!Files.exists(gguf)) {
            log.println("exporting " + gguf.getFileName());
            Converter.convert(hf, gguf, new Converter.Options(Converter.Format.GGUF, dtype, false, null));
        }
        return gguf;
    }

    public Result run(DType dtype, Progress progress) throws IOException {
        Path gguf = model(dtype);
        int[] prompt = new int[32];
        for (int i = 0; i < prompt.length; i++) prompt[i] = (i * 7919 + 11) % 8000;
        Samples ours = new Samples();
        Samples theirs = new Samples();
        PairedRatios ratios = new PairedRatios();
        Samples step1 = new Samples();
        Samples step16 = new Samples();
        try (Generator generator = Generator.open(ModelSpec.of(gguf).withKernels(null, threads, 0))) {
            LlamaCpp llama = new LlamaCpp(gguf, threads);
            try {
                ourRate(generator, prompt, tokens);
                llama.run(prompt, tokens);
                for (int r = 0; r < repeats; r++) {
                    double a;
                    double b;
                    if (r % 2 == 0) {
                        a = ourRate(generator, prompt, tokens);
                        b = llama.run(prompt, tokens).tokensPerSecond();
                    } else {
                        b = llama.run(prompt, tokens).tokensPerSecond();
                        a = ourRate(generator, prompt, tokens);
                    }
                    ours.add(a);
                    theirs.add(b);
                    ratios.add(a, b);
                    progress.step();
                }
            } finally {
                llama.close();
            }
            verifyCost(generator.target(), prompt, step1, step16);
        }
        return new Result(dtype, ours, theirs, ratios, step1, step16);
    }

    /** (tokens − 1) / (last token time − first token time), as for llama.cpp. */
    static double ourRate(Generator generator, int[] prompt, int tokens) {
        long[] first = {0};
        long[] last = {0};
        int[] count = {0};
        generator.generate(prompt, GenerationConfig.builder().mode(Mode.AR).maxTokens(tokens).stopAtEos(false).build(),
                new GenerationListener() {
                    @Override
                    public void onText(String text) {
                    }

                    @Override
                    public void onTokens(int[] ids) {
                        long now = System.nanoTime();
                        if (count[0] == 0) first[0] = now;
                        last[0] = now;
                        count[0] += ids.length;
                    }
                }, new Cancellation());
        return (count[0] - 1) / ((last[0] - first[0]) / 1e9);
    }

    /** A one-token step and a 16-token pass after a 64-token context, timed alternately. */
    static void verifyCost(CausalLanguageModel model, int[] prompt, Samples one, Samples sixteen) {
        int[] context = new int[64];
        for (int i = 0; i < context.length; i++) context[i] = prompt[i % prompt.length];
        int[] block = new int[16];
        for (int i = 0; i < block.length; i++) block[i] = (i * 31 + 5) % 8000;
        try (CausalLanguageModel.Session s = model.newSession()) {
            s.forward(context, 0);
            for (int r = 0; r < 25; r++) {
                long t0 = System.nanoTime();
                s.forward(new int[] {block[0]}, 1);
                long t1 = System.nanoTime();
                s.truncate(64);
                s.forward(block);
                long t2 = System.nanoTime();
                s.truncate(64);
                if (r >= 5) {
                    one.add((t1 - t0) / 1e6);
                    sixteen.add((t2 - t1) / 1e6);
                }
            }
        }
    }

    /** A Markdown table of results. */
    public static String table(List<Result> results) {
        StringBuilder b = new StringBuilder();
        b.append("| weights | specdiff4j tok/s | llama.cpp tok/s | specdiff4j ÷ llama.cpp (median paired ratio [95% CI]) | 1-token step ms | 16-token pass ms | 16 ÷ 1 |\n");
        b.append("|---|---|---|---|---|---|---|\n");
        for (Result r : results) {
            b.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %.2f |%n", r.dtype().displayName(),
                    r.ours().format("%.1f"), r.llama().format("%.1f"), r.oursOverLlama().format(), r.step1Ms().format("%.2f"),
                    r.step16Ms().format("%.2f"), r.verifyCostRatio()));
        }
        return b.toString();
    }

    /** The results as JSON-ready maps. */
    public static List<Map<String, Object>> json(List<Result> results) {
        return results.stream().map(r -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("dtype", r.dtype().displayName());
            m.put("ours_tokens_per_second", r.ours().values());
            m.put("llama_cpp_tokens_per_second", r.llama().values());
            m.put("ratio_to_llama_cpp", r.ratioToLlama());
            m.put("paired_ratios_to_llama_cpp", r.oursOverLlama().values());
            m.put("step_1_ms", r.step1Ms().values());
            m.put("step_16_ms", r.step16Ms().values());
            m.put("verify_cost_ratio", r.verifyCostRatio());
            return m;
        }).toList();
    }
}
