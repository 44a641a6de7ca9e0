package dev.specdiff4j.bench;

import dev.specdiff4j.engine.api.Cancellation;
import dev.specdiff4j.engine.api.GenerationListener;
import dev.specdiff4j.engine.api.GenerationResult;
import dev.specdiff4j.engine.api.Generator;
import dev.specdiff4j.engine.decoding.DecodeStats;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The measurement protocol: for each configuration, a warm-up of both modes, then {@code repeats}
 * repetitions, each running plain autoregressive decoding (A) and the configuration (B) over the whole
 * prompt set, A B A B .... One tokens/s sample per repetition and mode (generated tokens over decoding
 * time, prompt processing excluded). Greedy configurations must give exactly the baseline's tokens;
 * any difference is recorded as an error.
 */
public final class SpecDiffBench {
    /** Generation length, repetitions and prompts (as token ids). */
    public record Options(int maxTokens, int repeats, List<int[]> prompts) {
        public Options {
            if (repeats < 1) throw new IllegalArgumentException("at least one repetition is needed");
            if (prompts.isEmpty()) throw new IllegalArgumentException("the prompt set is empty");
        }
    }

    /** Runs a generation; the harness is tested with fakes. */
    @FunctionalInterface
    public interface Engine {
        GenerationResult run(int[] prompt, dev.specdiff4j.engine.api.GenerationConfig config);

        static Engine of(Generator g) {
            return (prompt, config) -> g.generate(prompt, config, GenerationListener.NONE, new Cancellation());
        }
    }

    private final Engine engine;
    private final Options options;
    private final Progress progress;

    public SpecDiffBench(Engine engine, Options options, Progress progress) {
        this.engine = engine;
        this.options = options;
        this.progress = progress;
    }

    /** Total runs of one configuration, for progress bars: warm-up plus repetitions × prompts × two modes. */
    public static long runsPerConfig(Options o) {
        return 2 + 2L * o.repeats() * o.prompts().size();
    }

    public ConfigResult measure(BenchConfig config) {
        ConfigResult result = new ConfigResult(config);
        BenchConfig baseline = config.baseline();
        int[] first = options.prompts().get(0);
        engine.run(first, baseline.generation(Math.min(16, options.maxTokens()), 0));
        engine.run(first, config.generation(Math.min(16, options.maxTokens()), 0));
        progress.step(2);
        List<MemoryPoolMXBean> heap = ManagementFactory.getMemoryPoolMXBeans().stream().filter(p -> p.getType() == MemoryType.HEAP).toList();
        heap.forEach(MemoryPoolMXBean::resetPeakUsage);
        for (int rep = 0; rep < options.repeats(); rep++) {
            long arTokens = 0;
            long arNanos = 0;
            List<int[]> arOutputs = new ArrayList<>();
            for (int i = 0; i < options.prompts().size(); i++) {
                GenerationResult a = engine.run(options.prompts().get(i), baseline.generation(options.maxTokens(), seed(rep, i)));
                arTokens += a.stats().generatedTokens();
                arNanos += a.stats().decodeNanos();
                arOutputs.add(a.tokens());
                progress.step();
            }
            long tokens = 0;
            long nanos = 0;
            for (int i = 0; i < options.prompts().size(); i++) {
                GenerationResult b = engine.run(options.prompts().get(i), config.generation(options.maxTokens(), seed(rep, i)));
                DecodeStats s = b.stats();
                tokens += s.generatedTokens();
                nanos += s.decodeNanos();
                result.add(s.rounds() == 0 ? s.generatedTokens() : s.rounds(), s.drafted(), s.accepted(), s.generatedTokens(),
                        s.draftNanos(), s.verifyNanos(), s.decodeNanos(), s.draftsAhead());
                if (config.greedy() && !Arrays.equals(b.tokens(), arOutputs.get(i))) {
                    result.mismatch("repetition " + rep + ", prompt " + i + ": " + Arrays.toString(b.tokens()) + " vs autoregressive "
                            + Arrays.toString(arOutputs.get(i)));
                }
                progress.step();
            }
            result.baselineTokensPerSecond.add(arTokens / (arNanos / 1e9));
            result.tokensPerSecond.add(tokens / (nanos / 1e9));
        }
        result.peakHeap(heap.stream().mapToLong(p -> p.getPeakUsage().getUsed()).sum());
        return result;
    }

    private static long seed(int rep, int prompt) {
        return 1000L * rep + prompt;
    }
}
