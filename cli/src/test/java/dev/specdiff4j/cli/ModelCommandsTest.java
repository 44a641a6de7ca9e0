package dev.specdiff4j.cli;

import dev.specdiff4j.engine.testing.Fixtures;
import dev.specdiff4j.engine.testing.TinyModels;
import dev.specdiff4j.json.Json;
import dev.specdiff4j.tokenizer.Tokenizers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** generate, diffuse, inspect and convert on the tiny fixtures, through the same entry point as bin/specdiff4j. */
class ModelCommandsTest {

    @Test
    @SuppressWarnings("unchecked")
    void generateStartsATextPromptWithTheBosTheTokenizerAsksFor(@TempDir Path dir) throws Exception {
        Path target = TinyModels.withTokenizer("gpt2-tiny", dir);
        String[] args = {"generate", "--mode", "ar", "--model", target.toString(), "--max-tokens", "2", "--no-eos", "--json", "The quick brown"};
        CliTestSupport.Result without = CliTestSupport.run(args);
        assertThat(without.exitCode()).as(without.err()).isZero();
        List<Object> text = (List<Object>) Json.parseObject(without.out().trim()).get("prompt_tokens");

        Files.writeString(target.resolve("tokenizer_config.json"), "{\"add_bos_token\": true, \"bos_token\": \"<|endoftext|>\"}");
        CliTestSupport.Result with = CliTestSupport.run(args);
        assertThat(with.exitCode()).as(with.err()).isZero();
        List<Object> prompt = (List<Object>) Json.parseObject(with.out().trim()).get("prompt_tokens");
        long bos = Tokenizers.load(target).specialTokenId("<|endoftext|>").orElseThrow();
        assertThat(text).doesNotContain(bos);
        assertThat(prompt).first().isEqualTo(bos);
        assertThat(prompt.subList(1, prompt.size())).isEqualTo(text);
    }

    @Test
    @SuppressWarnings("unchecked")
    void generateJsonHasTheDocumentedShapeAndModesAgree(@TempDir Path dir) throws Exception {
        Path target = TinyModels.withTokenizer("gpt2-tiny", dir);
        String mdlm = Fixtures.folder("mdlm-tiny").toString();
        String ar = Fixtures.folder("gpt2-tiny-drafter").toString();
        CliTestSupport.Result plain = CliTestSupport.run("generate", "--mode", "ar", "--model", target.toString(), "--max-tokens", "12",
                "--no-eos", "--json", "The quick brown");
        assertThat(plain.exitCode()).as(plain.err()).isZero();
        Map<String, Object> json = Json.parseObject(plain.out().trim());
        assertThat(json).containsKeys("text", "prompt_tokens", "tokens", "stats");
        assertThat((List<Object>) json.get("tokens")).hasSize(12);
        Map<String, Object> stats = (Map<String, Object>) json.get("stats");
        assertThat(stats).containsKeys("tokens_per_second", "rounds", "mean_accepted", "acceptance_rate", "draft_ms", "verify_ms", "kernels");
        for (String[] mode : new String[][] {{"specdiff", "--drafter", mdlm}, {"sd", "--ar-drafter", ar}}) {
            CliTestSupport.Result r = CliTestSupport.run("generate", "--mode", mode[0], mode[1], mode[2], "--model", target.toString(),
                    "--max-tokens", "12", "--no-eos", "--gamma", "3", "--steps", "2", "--json", "The quick brown");
            assertThat(r.exitCode()).as(r.err()).isZero();
            Map<String, Object> other = Json.parseObject(r.out().trim());
            assertThat(other.get("tokens")).as(mode[0]).isEqualTo(json.get("tokens"));
            assertThat(((Number) ((Map<String, Object>) other.get("stats")).get("rounds")).intValue()).isPositive();
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void ctxSizeEndsAGenerationWhereAModelWithThatContextWould(@TempDir Path dir) throws Exception {
        Path target = TinyModels.withTokenizer("gpt2-tiny", dir);
        CliTestSupport.Result r = CliTestSupport.run("generate", "--mode", "ar", "-m", target.toString(), "-c", "16", "-n", "100",
                "--no-eos", "--json", "The quick brown");
        assertThat(r.exitCode()).as(r.err()).isZero();
        Map<String, Object> json = Json.parseObject(r.out().trim());
        int prompt = ((List<Object>) json.get("prompt_tokens")).size();
        assertThat((List<Object>) json.get("tokens")).hasSize(16 - prompt + 1);
        assertThat(((Map<String, Object>) json.get("stats")).get("finish_reason")).isEqualTo("context");

        CliTestSupport.Result tooLarge = CliTestSupport.run("generate", "--mode", "ar", "-m", target.toString(), "--ctx-size", "65", "x");
        assertThat(tooLarge.exitCode()).isEqualTo(1);
        assertThat(tooLarge.err()).contains("context size of 65 tokens is more than").contains("(64)");
        assertThat(CliTestSupport.run("generate", "--mode", "ar", "-m", target.toString(), "-c", "-1", "x").err())
                .contains("--ctx-size must be 0 (the model's context) or more, got -1");
    }

    @Test
    void generateStreamsTextAndPrintsASummary(@TempDir Path dir) throws Exception {
        Path target = TinyModels.withTokenizer("gpt2-tiny", dir);
        CliTestSupport.Result r = CliTestSupport.run("generate", "--model", target.toString(), "--drafter", Fixtures.folder("mdlm-tiny").toString(),
                "--max-tokens", "10", "--no-eos", "--compare", "Hello");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).isNotBlank();
        assertThat(r.err()).contains("[specdiff] 10 tokens").contains("acceptance").contains("[compare] ar").contains("identical tokens");
    }

    @Test
    void badSettingsAreOneSentence(@TempDir Path dir) throws Exception {
        Path target = TinyModels.withTokenizer("gpt2-tiny", dir);
        CliTestSupport.Result r = CliTestSupport.run("generate", "--model", target.toString(), "--mode", "ar", "--gamma", "0", "x");
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err().trim()).startsWith("specdiff4j: gamma").hasLineCount(1);
        CliTestSupport.Result wrongDrafter = CliTestSupport.run("generate", "--model", target.toString(), "--drafter",
                Fixtures.folder("mdlm-awkward").toString(), "x");
        assertThat(wrongDrafter.exitCode()).isEqualTo(1);
        assertThat(wrongDrafter.err()).contains("plus one MASK token");
        CliTestSupport.Result temperature = CliTestSupport.run("generate", "--model", target.toString(), "--mode", "ar", "--temperature", "-1", "x");
        assertThat(temperature.err()).contains("temperature must be");
    }

    @Test
    void diffuseGeneratesByDenoising(@TempDir Path dir) throws Exception {
        Path mdlm = dir.resolve("mdlm");
        Files.createDirectories(mdlm);
        for (String f : List.of("config.json", "model.safetensors")) Files.copy(Fixtures.folder("mdlm-tiny").resolve(f), mdlm.resolve(f));
        Files.copy(TinyModels.withTokenizer("gpt2-tiny", dir).resolve("tokenizer.json"), mdlm.resolve("tokenizer.json"));
        CliTestSupport.Result r = CliTestSupport.run("diffuse", "--model", mdlm.toString(), "--length", "8", "--steps", "4", "--json", "The fox");
        assertThat(r.exitCode()).as(r.err()).isZero();
        Map<String, Object> json = Json.parseObject(r.out().trim());
        assertThat((List<?>) json.get("tokens")).hasSize(8);
        @SuppressWarnings("unchecked")
        Map<String, Object> stats = (Map<String, Object>) json.get("stats");
        assertThat(((Number) stats.get("passes")).intValue()).isBetween(1, 5);
    }

    @Test
    void inspectAndConvert(@TempDir Path dir) throws Exception {
        Path target = TinyModels.withTokenizer("gpt2-tiny", dir);
        CliTestSupport.Result inspect = CliTestSupport.run("inspect", target.toString());
        assertThat(inspect.exitCode()).as(inspect.err()).isZero();
        assertThat(inspect.out()).contains("architecture: gpt2").contains("runnable:     yes").contains("transformer.h.0.attn.c_attn.weight");
        Path gguf = dir.resolve("t.gguf");
        CliTestSupport.Result convert = CliTestSupport.run("convert", target.toString(), gguf.toString(), "--to", "gguf", "--dtype", "q8_0");
        assertThat(convert.exitCode()).as(convert.err()).isZero();
        CliTestSupport.Result again = CliTestSupport.run("convert", target.toString(), gguf.toString(), "--to", "gguf");
        assertThat(again.exitCode()).isEqualTo(1);
        assertThat(again.err()).contains("exists (use --force");
        CliTestSupport.Result json = CliTestSupport.run("inspect", "--json", gguf.toString());
        Map<String, Object> report = Json.parseObject(json.out());
        assertThat(report.get("architecture")).isEqualTo("gpt2");
        assertThat(report.get("runnable")).isEqualTo(true);
        assertThat(json.out()).contains("\"dtype\": \"Q8_0\"").contains("[array of 300 strings");
        CliTestSupport.Result mdlm = CliTestSupport.run("inspect", Fixtures.folder("mdlm-tiny").toString());
        assertThat(mdlm.out()).contains("architecture: mdlm").contains("runnable:     yes");
        CliTestSupport.Result toGguf = CliTestSupport.run("convert", Fixtures.folder("mdlm-tiny").toString(), dir.resolve("m.gguf").toString(), "--to", "gguf");
        assertThat(toGguf.err()).contains("GGUF has no MDLM architecture");
    }
}
