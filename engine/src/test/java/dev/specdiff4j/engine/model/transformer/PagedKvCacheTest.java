package dev.specdiff4j.engine.model.transformer;

import dev.specdiff4j.engine.kernels.Kernels;
import dev.specdiff4j.engine.kernels.ReferenceKernels;
import dev.specdiff4j.engine.kernels.VectorKernels;
import dev.specdiff4j.engine.model.CausalLanguageModel;
import dev.specdiff4j.engine.model.CausalLanguageModel.Session;
import dev.specdiff4j.engine.model.Gpt2;
import dev.specdiff4j.engine.model.KvPagePool;
import dev.specdiff4j.engine.model.KvPages;
import dev.specdiff4j.engine.model.LoadOptions;
import dev.specdiff4j.engine.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A session whose KV cache lives in pool pages computes exactly what a session with its own contiguous cache computes, alone
 * and in a batch pass beside contiguous sessions, across page boundaries, after rollbacks, on reused pages that still hold
 * NaN from before (a read of a row the sequence never wrote would show), for GPT-2 and a GQA Llama-layout model; it takes
 * pages only as it grows and gives every one back when closed.
 */
class PagedKvCacheTest {
    private static final VectorKernels VECTOR = new VectorKernels(2);

    @AfterAll
    static void close() {
        VECTOR.close();
    }

    /** A pool whose first {@code dirty} pages were taken, filled with NaN and given back: the pages sessions get first. */
    private static KvPagePool dirtyPool(CausalLanguageModel model, int pageRows, int capacity, int dirty) {
        KvPagePool pool = new KvPagePool(pageRows, model.kvPageFloats(pageRows), capacity);
        List<float[]> taken = new ArrayList<>();
        for (int i = 0; i < dirty; i++) {
            float[] page = pool.take();
            Arrays.fill(page, Float.NaN);
            taken.add(page);
        }
        taken.forEach(pool::giveBack);
        return pool;
    }

    private static int[] tokens(Random r, int count, int vocab) {
        int[] t = new int[count];
        for (int i = 0; i < count; i++) t[i] = r.nextInt(vocab);
        return t;
    }

    private static void assertSameRows(float[][] actual, float[][] expected, String what) {
        assertThat(actual).hasNumberOfRows(expected.length);
        for (int j = 0; j < expected.length; j++) assertThat(actual[j]).as("%s, row %d", what, j).containsExactly(expected[j]);
    }

    /** Chunks of awkward sizes with a rollback in between, paged against contiguous; pages grow with the sequence. */
    private static void checkAlone(CausalLanguageModel model, int pageRows) {
        KvPagePool pool = dirtyPool(model, pageRows, 64, 8);
        Random r = new Random(pageRows);
        int[] chunks = {1, 7, 17, 2, 1, 5};
        try (Session contiguous = model.newSession(); Session paged = model.newSession(4, new KvPages(pool))) {
            assertThat(pool.inUse()).isZero(); // nothing is taken before the first pass
            int longest = 0; // a rollback keeps the pages: the sequence is likely to grow into them again
            for (int step = 0; step < chunks.length; step++) {
                int[] t = tokens(r, chunks[step], model.vocabSize());
                String what = model.describe() + ", pages of " + pageRows + ", step " + step;
                assertSameRows(paged.forward(t), contiguous.forward(t), what);
                longest = Math.max(longest, paged.length());
                assertThat(pool.inUse()).as(what).isEqualTo(Math.ceilDiv(longest, pageRows));
                if (step == 2) { // a rejected draft: both roll back, then write over the old rows
                    contiguous.truncate(contiguous.length() - 5);
                    paged.truncate(paged.length() - 5);
                }
            }
            assertThat(paged.supportsTrees()).isFalse();
        }
        assertThat(pool.inUse()).isZero();
    }

    /** A batch pass over paged and contiguous sessions side by side gives each the bits it gets alone. */
    private static void checkBatch(CausalLanguageModel model, int pageRows) {
        KvPagePool pool = dirtyPool(model, pageRows, 64, 16);
        Random r = new Random(7 + pageRows);
        CausalLanguageModel.BatchPass batch = model.newBatchPass();
        List<Session> batched = new ArrayList<>();
        List<Session> alone = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                batched.add(i % 2 == 0 ? model.newSession(8, new KvPages(pool)) : model.newSession(8));
                alone.add(model.newSession());
            }
            for (int step = 0; step < 4; step++) {
                List<int[]> fed = new ArrayList<>();
                int[] logitRows = new int[4];
                for (int i = 0; i < 4; i++) {
                    int k = (step + i) % 3 == 0 ? 11 : 1 + r.nextInt(3);
                    fed.add(tokens(r, k, model.vocabSize()));
                    logitRows[i] = k;
                }
                float[][][] rows = batch.forward(batched, fed, logitRows);
                for (int i = 0; i < 4; i++) {
                    assertSameRows(rows[i], alone.get(i).forward(fed.get(i)), model.describe() + ", batch step " + step + ", session " + i);
                }
            }
        } finally {
            batched.forEach(Session::close);
            alone.forEach(Session::close);
        }
        assertThat(pool.inUse()).isZero();
    }

    @Test
    void pagedGpt2SessionsComputeTheBitsOfContiguousOnes() throws IOException {
        for (String fixture : new String[] {"gpt2-tiny", "gpt2-awkward"}) {
            try (Gpt2 model = Gpt2.load(Fixtures.folder(fixture), new LoadOptions(null, VECTOR))) {
                for (int pageRows : new int[] {1, 5, 16}) {
                    checkAlone(model, pageRows);
                    checkBatch(model, pageRows);
                }
            }
        }
    }

    @Test
    void pagedGqaSessionsComputeTheBitsOfContiguousOnes() {
        TransformerSpec spec = TransformerTest.spec(true, 2);
        for (Kernels kernels : new Kernels[] {VECTOR, new ReferenceKernels()}) {
            try (Transformer model = new Transformer(spec, TransformerTest.weights(spec, 3), kernels, null, null)) {
                checkAlone(model, 3);
                checkBatch(model, 16);
            }
        }
    }

    @Test
    void badPagesAndAnExhaustedPoolAreClearErrors() throws IOException {
        try (Gpt2 model = Gpt2.load(Fixtures.folder("gpt2-tiny"), new LoadOptions(null, VECTOR))) {
            assertThatThrownBy(() -> model.newSession(8, new KvPages(new KvPagePool(4, 10, 8))))
                    .hasMessageContaining("do not fit this model");
            KvPagePool pool = new KvPagePool(4, model.kvPageFloats(4), 2);
            try (Session s = model.newSession(8, new KvPages(pool))) {
                s.forward(new int[] {1, 2, 3, 4, 5, 6, 7, 8});
                assertThatThrownBy(() -> s.forward(new int[] {9})).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("all 2 KV pages are taken");
            }
            assertThat(pool.inUse()).isZero();
            assertThat(pool.allocated()).isEqualTo(2);
        }
    }
}
