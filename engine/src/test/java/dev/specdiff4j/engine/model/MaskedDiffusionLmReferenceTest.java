package dev.specdiff4j.engine.model;

import dev.specdiff4j.engine.kernels.ReferenceKernels;
import dev.specdiff4j.engine.kernels.VectorKernels;
import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.engine.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The MDLM DiT against the PyTorch reference (weights-tools/python/models.py) on random-weight
 * checkpoints in the {@code backbone.*} layout, with non-zero adaLN weights so that the folded
 * modulations matter. Bound: max |ours − torch| / max |torch| per row ≤ 1e-4 in F32.
 */
class MaskedDiffusionLmReferenceTest {
    private static final VectorKernels VECTOR = new VectorKernels(2);

    @AfterAll
    static void close() {
        VECTOR.close();
    }

    static MaskedDiffusionLm load(String fixture, DType dtype) throws IOException {
        return MaskedDiffusionLm.load(Fixtures.folder(fixture), new LoadOptions(dtype, VECTOR));
    }

    @ParameterizedTest
    @ValueSource(strings = {"mdlm-tiny", "mdlm-awkward"})
    void logitsMatchPyTorch(String fixture) throws IOException {
        int[] ids = Fixtures.ints(Fixtures.expected(fixture), "tokens");
        float[][] want = Fixtures.logits(fixture);
        for (var kernels : new dev.specdiff4j.engine.kernels.Kernels[] {VECTOR, new ReferenceKernels()}) {
            try (MaskedDiffusionLm model = MaskedDiffusionLm.load(Fixtures.folder(fixture), new LoadOptions(null, kernels))) {
                float[][] got = model.forward(ids, 0, ids.length);
                for (int t = 0; t < ids.length; t++) {
                    assertThat(Fixtures.relativeError(got[t], want[t])).as("%s %s row %d", fixture, kernels.name(), t).isLessThan(1e-4);
                }
                // only the rows asked for
                float[][] tail = model.forward(ids, ids.length - 4, 4);
                assertThat(tail).hasNumberOfRows(4);
                for (int t = 0; t < 4; t++) assertThat(tail[t]).containsExactly(got[ids.length - 4 + t]);
            }
        }
    }

    @Test
    void maskIsTheLastIdAndConfigIsRead() throws IOException {
        try (MaskedDiffusionLm model = load("mdlm-tiny", null)) {
            assertThat(model.maskId()).isEqualTo(300).isEqualTo(((Number) Fixtures.expected("mdlm-tiny").get("mask_id")).intValue());
            assertThat(model.describe()).contains("MDLM 2 blocks x 64");
        }
    }

    @ParameterizedTest
    @CsvSource({"F16, 1e-2", "BF16, 5e-2", "Q8_0, 5e-2"})
    void convertedWeightsStayClose(DType dtype, double bound) throws IOException {
        int[] ids = Fixtures.ints(Fixtures.expected("mdlm-tiny"), "tokens");
        float[][] want = Fixtures.logits("mdlm-tiny");
        try (MaskedDiffusionLm model = load("mdlm-tiny", dtype)) {
            float[][] got = model.forward(ids, 0, ids.length);
            for (int t = 0; t < ids.length; t++) assertThat(Fixtures.relativeError(got[t], want[t])).isLessThan(bound);
        }
    }

    @Test
    void refreshingAnUnchangedBlockReproducesTheFullPassExactly() throws IOException {
        int[] ids = Fixtures.ints(Fixtures.expected("mdlm-tiny"), "tokens");
        try (MaskedDiffusionLm model = load("mdlm-tiny", null)) {
            MaskedDiffusionLm.BlockCache cache = model.new BlockCache(ids.length);
            float[][] full = cache.full(ids, 0, ids.length);
            int start = ids.length - 6;
            float[][] block = cache.refresh(start, Arrays.copyOfRange(ids, start, ids.length));
            for (int t = 0; t < 6; t++) assertThat(block[t]).containsExactly(full[start + t]);
        }
    }

    @Test
    void refreshingAChangedBlockApproximatesTheExactPass() throws IOException {
        int[] ids = Fixtures.ints(Fixtures.expected("mdlm-tiny"), "tokens");
        try (MaskedDiffusionLm model = load("mdlm-tiny", null)) {
            MaskedDiffusionLm.BlockCache cache = model.new BlockCache(ids.length);
            cache.full(ids, 0, ids.length);
            int start = ids.length - 4;
            int[] changed = {1, 2, 3, 4};
            float[][] cached = cache.refresh(start, changed);
            int[] exactIds = ids.clone();
            System.arraycopy(changed, 0, exactIds, start, 4);
            float[][] exact = model.forward(exactIds, start, 4);
            double error = 0;
            for (int t = 0; t < 4; t++) error = Math.max(error, Fixtures.relativeError(cached[t], exact[t]));
            assertThat(error).as("the prefix keys are stale, so the result differs").isGreaterThan(1e-6);
        }
    }

    @Test
    void badCheckpointsAreClearErrors(@TempDir Path dir) throws IOException {
        Path src = Fixtures.folder("mdlm-tiny");
        Path timeConditioned = copy(src, dir.resolve("tc"));
        Files.writeString(timeConditioned.resolve("config.json"),
                Files.readString(timeConditioned.resolve("config.json")).replace("\"time_conditioning\": false", "\"time_conditioning\": true"));
        assertThatThrownBy(() -> MaskedDiffusionLm.load(timeConditioned, new LoadOptions(null, VECTOR)))
                .hasMessageContaining("time_conditioning is true");
        Path wrongVocab = copy(src, dir.resolve("wv"));
        Files.writeString(wrongVocab.resolve("config.json"),
                Files.readString(wrongVocab.resolve("config.json")).replace("\"vocab_size\": 301", "\"vocab_size\": 300"));
        assertThatThrownBy(() -> MaskedDiffusionLm.load(wrongVocab, new LoadOptions(null, VECTOR)))
                .hasMessageContaining("backbone.vocab_embed.embedding").hasMessageContaining("[301, 64]").hasMessageContaining("expected [300, 64]");
        assertThatThrownBy(() -> MaskedDiffusionLm.load(Fixtures.folder("gpt2-tiny"), new LoadOptions(null, VECTOR)))
                .hasMessageContaining("is not an MDLM model");
    }

    @Test
    void sequencesLongerThanTheModelAreRejected() throws IOException {
        try (MaskedDiffusionLm model = load("mdlm-tiny", null)) {
            assertThatThrownBy(() -> model.forward(new int[65], 0, 1)).hasMessageContaining("model length 64");
            assertThatThrownBy(() -> model.forward(new int[] {301}, 0, 1)).hasMessageContaining("outside the drafter's vocabulary");
        }
    }

    static Path copy(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (var files = Files.list(from)) {
            for (Path f : files.toList()) Files.copy(f, to.resolve(f.getFileName()));
        }
        return to;
    }
}
