package dev.specdiff4j.bench;

import dev.specdiff4j.engine.api.Generator;
import dev.specdiff4j.engine.api.ModelSpec;
import dev.specdiff4j.engine.tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * llama.cpp's parallel slots ({@link LlamaCppSlots}) on our GGUF export of the tiny fixture: concurrent requests, more than
 * there are slots, each answered with specdiff4j's greedy tokens (the prompts of {@link LlamaCppNativeTest}, whose greedy
 * paths have no near-ties), the end-of-sequence token ending a request early, and bad input refused. Needs
 * SPECDIFF4J_GGML_LIB as {@link LlamaCppNativeTest} does.
 */
class LlamaCppSlotsTest {
    @Test
    void concurrentRequestsGetTheirOwnGreedyAnswersWhateverShareTheirPasses(@TempDir Path dir) throws Exception {
        Path lib = LlamaCppNativeTest.library();
        Path gguf = LlamaCppNativeTest.export(dir, DType.F32);
        int tokens = LlamaCppNativeTest.TOKENS;
        int[][] prompts = LlamaCppNativeTest.PROMPTS;
        try (Generator g = Generator.open(ModelSpec.of(gguf)); LlamaCppSlots slots = new LlamaCppSlots(lib, gguf, 2, 2, -1);
             ExecutorService clients = Executors.newFixedThreadPool(6)) {
            int[][] expected = new int[prompts.length][];
            for (int i = 0; i < prompts.length; i++) expected[i] = LlamaCppNativeTest.ours(g, prompts[i], tokens);
            List<Future<int[]>> answers = new ArrayList<>();
            for (int round = 0; round < 3; round++) {
                for (int[] prompt : prompts) answers.add(clients.submit(() -> slots.complete(prompt, tokens)));
            }
            for (int i = 0; i < answers.size(); i++) {
                assertThat(answers.get(i).get()).as("answer %d, prompt %s", i, Arrays.toString(prompts[i % prompts.length]))
                        .containsExactly(expected[i % prompts.length]);
            }
            assertThat(slots.counts()[1]).as("tokens generated across all passes").isEqualTo((long) answers.size() * tokens);
            assertThat(slots.describe()).contains("2 parallel slots");
        }
    }

    @Test
    void theEndOfSequenceTokenEndsARequestAndFreesItsSlot(@TempDir Path dir) throws Exception {
        Path lib = LlamaCppNativeTest.library();
        Path gguf = LlamaCppNativeTest.export(dir, DType.F32);
        int[] prompt = LlamaCppNativeTest.PROMPTS[0];
        try (Generator g = Generator.open(ModelSpec.of(gguf))) {
            int[] full = LlamaCppNativeTest.ours(g, prompt, LlamaCppNativeTest.TOKENS);
            int eos = full[5];
            int firstEos = 0;
            while (full[firstEos] != eos) firstEos++;
            try (LlamaCppSlots slots = new LlamaCppSlots(lib, gguf, 2, 1, eos)) {
                assertThat(slots.complete(prompt, LlamaCppNativeTest.TOKENS)).containsExactly(Arrays.copyOf(full, firstEos + 1));
                // the one slot was freed: a second request is served, from a clean sequence
                assertThat(slots.complete(prompt, 3)).containsExactly(Arrays.copyOf(full, Math.min(3, firstEos + 1)));
            }
        }
    }

    @Test
    void badRequestsAreRefusedAndCloseDoesNotLeaveCallersWaiting(@TempDir Path dir) throws Exception {
        Path lib = LlamaCppNativeTest.library();
        Path gguf = LlamaCppNativeTest.export(dir, DType.F32);
        LlamaCppSlots slots = new LlamaCppSlots(lib, gguf, 2, 1, -1);
        try {
            assertThatThrownBy(() -> slots.complete(new int[0], 4)).hasMessageContaining("empty prompt");
            assertThatThrownBy(() -> slots.complete(new int[] {1}, 0)).hasMessageContaining("at least 1");
            assertThatThrownBy(() -> slots.complete(new int[] {1}, LlamaCppNative.CONTEXT)).hasMessageContaining("exceed");
            assertThatThrownBy(() -> slots.complete(new int[] {1 << 20}, 4)).hasMessageContaining("outside the vocabulary");
        } finally {
            slots.close();
        }
        assertThatThrownBy(() -> slots.complete(new int[] {1}, 4)).hasMessageContaining("closed");
        assertThatThrownBy(() -> new LlamaCppNative(lib, gguf, 2, false, 0)).hasMessageContaining("sequences must be 1 to");
    }
}
