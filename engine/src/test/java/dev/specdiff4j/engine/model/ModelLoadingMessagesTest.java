package dev.specdiff4j.engine.model;

import dev.specdiff4j.engine.io.GgufWriter;
import dev.specdiff4j.engine.io.TensorWriteSource;
import dev.specdiff4j.engine.kernels.ReferenceKernels;
import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.engine.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A model that cannot be loaded says which file and which field is wrong, in words the user can act on. */
class ModelLoadingMessagesTest {
    private static final String SUPPORTED = "this build runs gpt2, llama, mistral, qwen2, qwen3 and phi3 (targets and AR drafters), "
            + "mdlm (diffusion drafter) and block_drafter (target-conditioned drafter)";

    private static void load(Path path) throws IOException {
        try (Gpt2 model = Gpt2.load(path, new LoadOptions(null, new ReferenceKernels()))) {
            throw new AssertionError("loaded " + model.describe());
        }
    }

    /** A copy of gpt2-tiny with its config.json replaced by {@code config}. */
    private static Path withConfig(Path dir, String config) throws IOException {
        Path folder = dir.resolve("model");
        Files.createDirectories(folder);
        Files.copy(Fixtures.folder("gpt2-tiny").resolve("model.safetensors"), folder.resolve("model.safetensors"));
        Files.writeString(folder.resolve("config.json"), config);
        return folder;
    }

    /** gpt2-tiny's config.json with one field set to {@code value} (a JSON literal). */
    private static String gpt2Config(String field, String value) throws IOException {
        String original = Files.readString(Fixtures.folder("gpt2-tiny").resolve("config.json"), StandardCharsets.UTF_8);
        String key = "\"" + field + "\"";
        if (!original.contains(key)) return original.replaceFirst("\\{", "{" + key + ": " + value + ",");
        return original.replaceFirst(key + ": *[^,\\n}]+", key + ": " + java.util.regex.Matcher.quoteReplacement(value));
    }

    @Test
    void aFileThatIsNoModelIsNamed(@TempDir Path dir) throws IOException {
        Path text = dir.resolve("file.txt");
        Files.writeString(text, "hello");
        assertThatThrownBy(() -> load(text)).isInstanceOf(ModelFormatException.class)
                .hasMessage(text + " is not a model: give an HF model folder (config.json and .safetensors files) or a .gguf file");
    }

    @Test
    void aConfigOfRandomBytesIsNotUtf8Json(@TempDir Path dir) throws IOException {
        Path folder = withConfig(dir, "");
        Files.write(folder.resolve("config.json"), new byte[] {(byte) 0xF1, (byte) 0x80, 0x41, (byte) 0xFE, 0x13, (byte) 0x9A});
        assertThatThrownBy(() -> load(folder)).isInstanceOf(ModelFormatException.class)
                .hasMessageStartingWith(folder.resolve("config.json") + " is not valid UTF-8 JSON");
    }

    @Test
    void invalidSizesNameTheField(@TempDir Path dir) throws IOException {
        Path zeroHeads = withConfig(dir.resolve("a"), gpt2Config("n_head", "0"));
        assertThatThrownBy(() -> load(zeroHeads)).hasMessage(zeroHeads.resolve("config.json") + ": n_head must be a positive integer, got 0");
        Path noFeedForward = withConfig(dir.resolve("b"), gpt2Config("n_inner", "0"));
        assertThatThrownBy(() -> load(noFeedForward)).hasMessageEndingWith(": n_inner must be a positive integer, got 0");
        Path uneven = withConfig(dir.resolve("c"), gpt2Config("n_head", "5"));
        assertThatThrownBy(() -> load(uneven)).hasMessageEndingWith(": n_embd 64 is not a multiple of n_head 5");
        Path eos = withConfig(dir.resolve("d"), gpt2Config("eos_token_id", "5000"));
        assertThatThrownBy(() -> load(eos)).hasMessageEndingWith(": eos_token_id 5000 is outside the vocabulary of 300 tokens (ids 0 to 299)");
    }

    @Test
    void anUnsupportedModelTypeIsRefusedEvenWithGpt2Tensors(@TempDir Path dir) throws IOException {
        Path falcon = withConfig(dir.resolve("falcon"), gpt2Config("model_type", "\"falcon\""));
        assertThatThrownBy(() -> load(falcon)).isInstanceOf(ModelFormatException.class)
                .hasMessage("model_type 'falcon' is not supported; " + SUPPORTED);
        assertThatThrownBy(() -> MaskedDiffusionLm.load(falcon, new LoadOptions(null, new ReferenceKernels())))
                .hasMessage("model_type 'falcon' is not supported; " + SUPPORTED);
    }

    @Test
    void aLlamaModelTypeIsNotLoadedAsGpt2EvenWithGpt2Tensors(@TempDir Path dir) throws IOException {
        Path llama = withConfig(dir, gpt2Config("model_type", "\"llama\""));
        assertThatThrownBy(() -> load(llama)).isInstanceOf(ModelFormatException.class)
                .hasMessage(llama + " is not a GPT-2 model (found llama)");
        assertThatThrownBy(() -> LoadedModel.load(llama, new LoadOptions(null, new ReferenceKernels())))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("hidden_size");
    }

    @Test
    void anUnsupportedGgufArchitectureIsRefused(@TempDir Path dir) throws IOException {
        Path gguf = dir.resolve("falcon.gguf");
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("general.architecture", "falcon");
        GgufWriter.write(gguf, false, meta, List.of(new TensorWriteSource("token_embd.weight", DType.F32, new long[] {2, 4},
                out -> out.write(new byte[32]))));
        assertThatThrownBy(() -> load(gguf)).isInstanceOf(ModelFormatException.class)
                .hasMessage("general.architecture 'falcon' is not supported; " + SUPPORTED);
    }
}
