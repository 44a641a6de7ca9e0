package dev.specdiff4j.bench;

import dev.specdiff4j.cli.Progress;
import dev.specdiff4j.engine.api.Cancellation;
import dev.specdiff4j.engine.api.GenerationConfig;
import dev.specdiff4j.engine.api.GenerationListener;
import dev.specdiff4j.engine.api.GenerationResult;
import dev.specdiff4j.engine.api.Generator;
import dev.specdiff4j.engine.decoding.DecodeStats;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.Arrays;
import java.util.List;

/**
 * The measurement protocol. For each configuration (B) and its baseline (A, plain autoregressive decoding at the full
 * thread count):
 * <ol>
 *   <li>a warm-up: one whole untimed repetition of both, every prompt at full length, so that the JIT has compiled every
 *       kernel the run uses before anything is timed (the first and last timed repetitions are reported side by side to
 *       show it);</li>
 *   <li>{@code repeats} timed repetitions over the prompt set in balanced order: prompt i of repetition r runs A then B
 *       when r + i is even and B then A when it is odd (A B B A A B …), so slow drift of the machine falls on both
 *       alike;</li>
 *   <li>one tokens/s figure per repetition and side (generated tokens over decoding time, prompt processing excluded),
 *       and one paired ratio B ÷ A per repetition; the speedup is the median of the paired ratios with its confidence
 *       interval ({@link PairedRatios}).</li>
 * </ol>
 * Greedy configurations must give exactly the baseline's tokens; any difference is recorded as an error.
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
        GenerationResult run(int[] prompt, GenerationConfig config);

        /** Whether its greedy tokens must equal the baseline's (false for another engine, whose arithmetic differs). */
        default boolean exactTokens() {
            return true;
        }

        static Engine of(Generator g) {
            return (prompt, config) -> g.generate(prompt, config, GenerationListener.NONE, new Cancellation());
        }
    }

    private final Engine baselineEngine;
    private final Options options;
    private final Progress progress;

    /** @param baselineEngine runs the plain autoregressive baseline of every configuration (at the full thread count) */
    public SpecDiffBench(Engine baselineEngine, Options options, Progress progress) {
        this.baselineEngine = baselineEngine;
        this.options = options;
        this.progress = progress;
    }

    /** Total runs of one configuration, for progress bars: a warm-up repetition plus the timed ones, each prompt in both modes. */
    public static long runsPerConfig(int repeats, int prompts) {
        return 2L * (repeats + 1) * prompts;
    }

    /** Measures a configuration run by the baseline's engine. */
    public ConfigResult measure(BenchConfig config) {
        return measure(config, baselineEngine);
    }

    /** Measures a configuration run by its own engine (e.g. overlapped drafting on a generator with other threads). */
    public ConfigResult measure(BenchConfig config, Engine candidate) {
        ConfigResult result = new ConfigResult(config);
        GenerationConfig baseline = config.baseline().generation(options.maxTokens(), 0);
        for (int i = 0; i < options.prompts().size(); i++) {
            baselineEngine.run(options.prompts().get(i), baseline);
            candidate.run(options.prompts().get(i), config.generation(options.maxTokens(), seed(-1, i)));
            progress.step(2);
        }
        List<MemoryPoolMXBean> heap = ManagementFactory.getMemoryPoolMXBeans().stream().filter(p -> p.getType() == MemoryType.HEAP).toList();
        heap.forEach(MemoryPoolMXBean::resetPeakUsage);
        for (int rep = 0; rep < options.repeats(); rep++) {
            Rate a = new Rate();
            Rate b = new Rate();
            for (int i = 0; i < options.prompts().size(); i++) {
                int[] prompt = options.prompts().get(i);
                GenerationConfig candidateConfig = config.generation(options.maxTokens(), seed(rep, i));
                GenerationConfig baselineConfig = config.baseline().generation(options.maxTokens(), seed(rep, i));
                GenerationResult ar;
                GenerationResult spec;
                if ((rep + i) % 2 == 0) {
                    ar = baselineEngine.run(prompt, baselineConfig);
                    spec = candidate.run(prompt, candidateConfig);
                } else {
                    spec = candidate.run(prompt, candidateConfig);
                    ar = baselineEngine.run(prompt, baselineConfig);
                }
                a.add(ar.stats());
                b.add(spec.stats());
                DecodeStats s = spec.stats();
                result.add(s.rounds() == 0 ? s.generatedTokens() : s.rounds(), s.drafted(), s.accepted(), s.generatedTokens(),
                        s.draftNanos(), s.verifyNanos(), s.decodeNanos(), s.draftsAhead());
                if (config.greedy() && candidate.exactTokens() && !Arrays.equals(spec.tokens(), ar.tokens())) {
                    result.mismatch("repetition " + rep + ", prompt " + i + ": " + Arrays.toString(spec.tokens()) + " vs autoregressive "
                            + Arrays.toString(ar.tokens()));
                }
                progress.step(2);
            }
            result.addRepetition(b.perSecond(), a.perSecond());
        }
        result.peakHeap(heap.stream().mapToLong(p -> p.getPeakUsage().getUsed()).sum());
        return result;
    }

    /** Sampling seeds: distinct per repetition and prompt, the same for a configuration and its baseline. */
    private static long seed(int rep, int prompt) {
        return 1000L * (rep + 1) + prompt;
    }

    /** Generated tokens over decoding time, summed over a repetition's prompts. */
    private static final class Rate {
        long tokens;
        long nanos;

        void add(DecodeStats s) {
            tokens += s.generatedTokens();
            nanos += s.decodeNanos();
        }

        double perSecond() {
            return tokens / (nanos / 1e9);
        }
    }

}
