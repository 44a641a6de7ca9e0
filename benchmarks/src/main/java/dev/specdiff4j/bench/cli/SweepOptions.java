package dev.specdiff4j.bench.cli;

import dev.specdiff4j.engine.decoding.DraftingConfig;
import picocli.CommandLine.Option;

import java.util.List;

/** What a demo-pair sweep measures: prompts, lengths, repetitions and the swept γ, T and window (`bench specdiff`, `bench report`). */
final class SweepOptions {
    @Option(names = "--prompt-set", defaultValue = "heldout", description = "Bundled prompts: heldout (reported) or tuning (for choosing defaults; disjoint text) (default: ${DEFAULT-VALUE}).") String promptSet;
    @Option(names = "--prompt-count", defaultValue = "20", description = "Held-out prompts used (default: ${DEFAULT-VALUE}).") int promptCount;
    @Option(names = "--max-tokens", defaultValue = "128", description = "Tokens generated per prompt (default: ${DEFAULT-VALUE}).") int maxTokens;
    @Option(names = "--repeats", defaultValue = "6", description = "Timed repetitions of each configuration and its AR baseline, after one warm-up repetition; 6 or more give a 95% confidence interval (default: ${DEFAULT-VALUE}).") int repeats;
    @Option(names = "--gamma", split = ",", defaultValue = "4,8,16", description = "Draft lengths γ of the specdiff rows (default: ${DEFAULT-VALUE}).") List<Integer> gammas;
    @Option(names = "--steps", split = ",", defaultValue = "1,2,4", description = "Denoising steps T of the specdiff rows (default: ${DEFAULT-VALUE}).") List<Integer> steps;
    @Option(names = "--sd-gamma", split = ",", defaultValue = "2,4,8", description = "Draft lengths of the sd rows (default: ${DEFAULT-VALUE}).") List<Integer> sdGammas;
    @Option(names = "--window", defaultValue = "" + DraftingConfig.DEFAULT_WINDOW, description = "Tokens the diffusion drafter sees (default: ${DEFAULT-VALUE}).") int window;
}
