package dev.specdiff4j.engine.api;

import dev.specdiff4j.engine.testing.Fixtures;
import dev.specdiff4j.engine.testing.TinyModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/** close() while generations run: every generation ends promptly, with its result or a GeneratorClosedException. */
class GeneratorCloseTest {
    private static final int TRIALS = 300;
    private static final int MAX_TOKENS = 40;

    @Test
    void closingDuringGenerationEndsEveryGenerationWithAResultOrAClearException(@TempDir Path dir) throws Exception {
        ModelSpec spec = ModelSpec.of(TinyModels.withTokenizer("gpt2-tiny", dir)).withDiffusionDrafter(Fixtures.folder("mdlm-tiny"))
                .withArDrafter(Fixtures.folder("gpt2-tiny-drafter")).withKernels(null, 2, 0);
        AtomicInteger closedMidway = new AtomicInteger();
        for (int trial = 0; trial < TRIALS; trial++) {
            int closeAfterTokens = trial % 12;
            Mode mode = Mode.values()[trial % Mode.values().length];
            int t = trial;
            assertTimeoutPreemptively(Duration.ofSeconds(30), () -> closedMidway.addAndGet(runTrial(spec, mode, closeAfterTokens)),
                    () -> "trial " + t + " (" + mode + ", close after " + closeAfterTokens + " tokens) did not end");
        }
        assertThat(closedMidway.get()).as("generations that close cut short").isGreaterThan(TRIALS / 2);
    }

    /** Two generations on one generator, closed once one of them has streamed some tokens; returns how many close cut short. */
    private static int runTrial(ModelSpec spec, Mode mode, int closeAfterTokens) throws Exception {
        Generator generator = Generator.open(spec);
        GenerationConfig config = GenerationConfig.builder().mode(mode).maxTokens(MAX_TOKENS).stopAtEos(false).gamma(3).steps(2).build();
        CountDownLatch streaming = new CountDownLatch(1);
        List<Object> outcomes = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            AtomicInteger tokens = new AtomicInteger();
            threads.add(Thread.ofPlatform().daemon().start(() -> {
                Object outcome;
                try {
                    outcome = generator.generate("The quick brown", config, new GenerationListener() {
                        @Override
                        public void onText(String text) {
                        }

                        @Override
                        public void onTokens(int[] ids) {
                            if (tokens.addAndGet(ids.length) >= closeAfterTokens) streaming.countDown();
                        }
                    }, new Cancellation());
                } catch (Throwable e) {
                    outcome = e;
                }
                streaming.countDown();
                synchronized (outcomes) {
                    outcomes.add(outcome);
                }
            }));
        }
        if (closeAfterTokens > 0) streaming.await();
        generator.close();
        for (Thread thread : threads) thread.join();
        generator.close(); // a second close does nothing
        assertThatThrownBy(() -> generator.generate("x", config)).isInstanceOf(GeneratorClosedException.class)
                .hasMessage("the generator is closed");
        int cutShort = 0;
        for (Object outcome : outcomes) {
            if (outcome instanceof GenerationResult r) {
                assertThat(r.tokens()).hasSize(MAX_TOKENS);
            } else {
                assertThat(outcome).isInstanceOf(GeneratorClosedException.class);
                assertThat(((Throwable) outcome).getMessage()).startsWith("the generator ");
                cutShort++;
            }
        }
        return cutShort;
    }

    @Test
    void closingFromInsideAListenerEndsThatGeneration(@TempDir Path dir) throws Exception {
        Generator generator = Generator.open(ModelSpec.of(TinyModels.withTokenizer("gpt2-tiny", dir)).withKernels(null, 2, 0));
        GenerationConfig config = GenerationConfig.builder().mode(Mode.AR).maxTokens(MAX_TOKENS).stopAtEos(false).build();
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> assertThatThrownBy(() -> generator.generate("The", config, new GenerationListener() {
            @Override
            public void onText(String text) {
            }

            @Override
            public void onTokens(int[] ids) {
                generator.close();
            }
        }, new Cancellation())).isInstanceOf(GeneratorClosedException.class).hasMessageContaining("after 1 tokens"));
    }

    @Test
    void closingFromInsideAListenerWhileAnotherThreadGeneratesDoesNotDeadlock(@TempDir Path dir) throws Exception {
        Generator generator = Generator.open(ModelSpec.of(TinyModels.withTokenizer("gpt2-tiny", dir)).withKernels(null, 2, 0));
        GenerationConfig config = GenerationConfig.builder().mode(Mode.AR).maxTokens(MAX_TOKENS).stopAtEos(false).build();
        CountDownLatch otherRunning = new CountDownLatch(1);
        CountDownLatch closing = new CountDownLatch(1);
        Thread other = Thread.ofPlatform().start(() -> {
            try {
                generator.generate("The", config, new GenerationListener() {
                    @Override
                    public void onText(String text) {
                    }

                    @Override
                    public void onTokens(int[] ids) {
                        otherRunning.countDown();
                        try {
                            closing.await(); // still running when the first thread's listener calls close()
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                }, new Cancellation());
            } catch (GeneratorClosedException expected) {
                // stopped by the close, as it should be
            }
        });
        otherRunning.await();
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> assertThatThrownBy(() -> generator.generate("The", config, new GenerationListener() {
            @Override
            public void onText(String text) {
            }

            @Override
            public void onTokens(int[] ids) {
                closing.countDown();
                generator.close(); // waits for the other thread's generation, which must wake it when it stops
            }
        }, new Cancellation())).isInstanceOf(GeneratorClosedException.class));
        other.join(30_000);
        assertThat(other.isAlive()).isFalse();
    }
}
