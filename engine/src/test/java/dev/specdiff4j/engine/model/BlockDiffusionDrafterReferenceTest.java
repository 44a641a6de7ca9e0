package dev.specdiff4j.engine.model;

import dev.specdiff4j.engine.kernels.Kernels;
import dev.specdiff4j.engine.kernels.ReferenceKernels;
import dev.specdiff4j.engine.kernels.VectorKernels;
import dev.specdiff4j.engine.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The target's captured features and the block drafter's draft logits against the PyTorch reference
 * (weights-tools/python/models.py: GPT2.block_states, BlockDrafter) on the random-weight fixtures: max |ours − torch| /
 * max |torch| ≤ 1e-4 per row, with both kernel sets.
 */
class BlockDiffusionDrafterReferenceTest {
    private static final VectorKernels VECTOR = new VectorKernels(2);

    @AfterAll
    static void close() {
        VECTOR.close();
    }

    private static String targetOf(String fixture) throws IOException {
        return (String) Fixtures.expected(fixture).get("target");
    }

    private static int[] layersOf(String fixture) throws IOException {
        var config = dev.specdiff4j.json.Json.parseObject(Files.readString(Fixtures.folder(fixture).resolve("config.json")));
        return ((java.util.List<?>) config.get("target_layers")).stream().mapToInt(o -> ((Number) o).intValue()).toArray();
    }

    @ParameterizedTest
    @ValueSource(strings = {"block-drafter-tiny", "block-drafter-awkward"})
    void capturedFeaturesMatchPyTorchAndLeaveLogitsAlone(String fixture) throws IOException {
        int[] tokens = Fixtures.ints(Fixtures.expected(fixture), "tokens");
        int[] layers = layersOf(fixture);
        float[] want = Fixtures.expectedTensor(fixture, "features"); // (T, L*C)
        int width = want.length / tokens.length;
        for (Kernels kernels : new Kernels[] {VECTOR, new ReferenceKernels()}) {
            try (Gpt2 target = Gpt2.load(Fixtures.folder(targetOf(fixture)), new LoadOptions(null, kernels));
                 var plain = target.newSession(); var capturing = target.newSession()) {
                float[][] plainLogits = plain.forward(tokens);
                capturing.captureFeatures(layers);
                // two passes: the features are those of the latest pass, its rows only
                float[][] first = capturing.forward(Arrays.copyOf(tokens, 5));
                float[] firstFeatures = Arrays.copyOf(capturing.features(), 5 * width);
                float[][] rest = capturing.forward(Arrays.copyOfRange(tokens, 5, tokens.length));
                float[] restFeatures = capturing.features();
                for (int t = 0; t < tokens.length; t++) {
                    float[] got = t < 5 ? Arrays.copyOfRange(firstFeatures, t * width, (t + 1) * width)
                            : Arrays.copyOfRange(restFeatures, (t - 5) * width, (t - 4) * width);
                    assertThat(Fixtures.relativeError(got, Arrays.copyOfRange(want, t * width, (t + 1) * width)))
                            .as("%s %s features of row %d", fixture, kernels.name(), t).isLessThan(1e-4);
                    float[] logits = t < 5 ? first[t] : rest[t - 5];
                    assertThat(logits).as("logits of row %d with features captured", t).containsExactly(plainLogits[t]);
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"block-drafter-tiny", "block-drafter-awkward"})
    void draftLogitsMatchPyTorch(String fixture) throws IOException {
        Map<String, Object> expected = Fixtures.expected(fixture);
        int[] tokens = Fixtures.ints(expected, "tokens");
        int[] anchors = Fixtures.ints(expected, "anchors");
        int gamma = ((Number) expected.get("gamma")).intValue();
        float[] want = Fixtures.expectedTensor(fixture, "logits"); // (anchors, gamma, N)
        for (Kernels kernels : new Kernels[] {VECTOR, new ReferenceKernels()}) {
            try (Gpt2 target = Gpt2.load(Fixtures.folder(targetOf(fixture)), new LoadOptions(null, kernels));
                 var session = target.newSession();
                 BlockDiffusionDrafter drafter = BlockDiffusionDrafter.load(Fixtures.folder(fixture), target, new LoadOptions(null, kernels))) {
                int n = drafter.config().draftVocab().length;
                assertThat(want).hasSize(anchors.length * gamma * n);
                session.captureFeatures(drafter.config().targetLayers());
                session.forward(tokens, 0);
                float[] features = session.features().clone();
                for (int a = 0; a < anchors.length; a++) {
                    BlockDiffusionDrafter.Context context = drafter.newContext();
                    // handed over in two pieces, as rounds of decoding do
                    int half = anchors[a] / 2;
                    context.append(0, features, half);
                    int width = features.length / tokens.length;
                    context.append(half, Arrays.copyOfRange(features, half * width, features.length), anchors[a] - half);
                    float[][] got = context.draft(tokens[anchors[a]], anchors[a], gamma);
                    for (int j = 0; j < gamma; j++) {
                        int at = (a * gamma + j) * n;
                        assertThat(Fixtures.relativeError(got[j], Arrays.copyOfRange(want, at, at + n)))
                                .as("%s %s anchor %d row %d", fixture, kernels.name(), anchors[a], j).isLessThan(1e-4);
                    }
                }
            }
        }
    }

    @Test
    void draftingPastTheFeaturesItWasGivenIsRefused() throws IOException {
        try (Gpt2 target = Gpt2.load(Fixtures.folder("gpt2-tiny"), new LoadOptions(null, VECTOR));
             BlockDiffusionDrafter drafter = BlockDiffusionDrafter.load(Fixtures.folder("block-drafter-tiny"), target, new LoadOptions(null, VECTOR))) {
            BlockDiffusionDrafter.Context context = drafter.newContext();
            assertThatThrownBy(() -> context.draft(1, 3, 2)).hasMessageContaining("holds the target's features of 0 positions");
            assertThatThrownBy(() -> context.append(2, new float[2 * 128], 1)).hasMessageContaining("leave a gap");
            assertThatThrownBy(() -> context.draft(1, 0, 5)).hasMessageContaining("gamma 5 is outside 1..4");
        }
    }

    /** A copy of the tiny drafter's folder under target/ with one config field changed. */
    private static Path variant(String field, Object value) throws IOException {
        Path from = Fixtures.folder("block-drafter-tiny");
        Path dir = Files.createDirectories(Path.of("target", "block-drafter-variants", field));
        Files.copy(from.resolve("model.safetensors"), dir.resolve("model.safetensors"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        var config = new java.util.LinkedHashMap<>(dev.specdiff4j.json.Json.parseObject(Files.readString(from.resolve("config.json"))));
        config.put(field, value);
        Files.writeString(dir.resolve("config.json"), dev.specdiff4j.json.Json.writePretty(config));
        return dir;
    }

    @Test
    void aDrafterForAnotherTargetIsRefusedNamingTheMismatch() throws IOException {
        LoadOptions options = new LoadOptions(null, VECTOR);
        try (Gpt2 tiny = Gpt2.load(Fixtures.folder("gpt2-tiny"), options); Gpt2 awkward = Gpt2.load(Fixtures.folder("gpt2-awkward"), options)) {
            assertThatThrownBy(() -> BlockDiffusionDrafter.load(Fixtures.folder("block-drafter-tiny"), awkward, options))
                    .isInstanceOf(ModelFormatException.class).hasMessageContaining("hidden size 64, but the target's hidden size is 48");
            assertThatThrownBy(() -> BlockDiffusionDrafter.load(variant("target_layers", java.util.List.of(0, 2)), tiny, options))
                    .isInstanceOf(ModelFormatException.class).hasMessageContaining("layer 2").hasMessageContaining("the target has only 2 layers");
            assertThatThrownBy(() -> BlockDiffusionDrafter.load(variant("target_vocab_size", 301), tiny, options))
                    .isInstanceOf(ModelFormatException.class).hasMessageContaining("a vocabulary of 301 tokens, but the target's has 300");
            assertThatThrownBy(() -> BlockDiffusionDrafter.load(variant("draft_vocab", java.util.List.of(3, 300)), tiny, options))
                    .isInstanceOf(ModelFormatException.class).hasMessageContaining("draft_vocab id 300 is outside the target vocabulary of 300");
        }
    }
}
