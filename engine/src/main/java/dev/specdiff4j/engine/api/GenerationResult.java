package dev.specdiff4j.engine.api;

import dev.specdiff4j.engine.decoding.DecodeStats;
import dev.specdiff4j.engine.decoding.FinishReason;

/**
 * A finished generation.
 *
 * @param text         the generated text (without the prompt, cut before a stop string)
 * @param promptTokens the prompt's token ids
 * @param tokens       the generated token ids
 * @param kernels      what computed it
 */
public record GenerationResult(String text, int[] promptTokens, int[] tokens, FinishReason finishReason, Mode mode,
                               DecodeStats stats, String kernels) {
}
