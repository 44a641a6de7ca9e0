package dev.specdiff4j.cli;

import dev.specdiff4j.engine.testing.TinyModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** Input the user gets wrong is named in one sentence: stdin that is not UTF-8, thread counts, paths. */
class InputChecksTest {
    private static final String DEMO = Path.of("..", "models", "demo", "tokenizer.json").toString();

    @Test
    void malformedUtf8OnStdinIsReplacedAndSaidOnce() throws Exception {
        ByteArrayOutputStream stdin = new ByteArrayOutputStream();
        stdin.write("ab".getBytes(StandardCharsets.UTF_8));
        stdin.write(new byte[] {(byte) 0xFF, (byte) 0xFE});
        stdin.write(" c ".getBytes(StandardCharsets.UTF_8));
        stdin.write(new byte[] {(byte) 0xC3}); // a truncated two-byte sequence at the end
        CliTestSupport.Result r = CliTestSupport.runWithStdin(stdin.toByteArray(), "tokenize", "--tokenizer", DEMO);
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.err().trim()).isEqualTo("warning: stdin was not valid UTF-8; 3 malformed bytes were replaced with U+FFFD");

        CliTestSupport.Result valid = CliTestSupport.runWithStdin("héllo".getBytes(StandardCharsets.UTF_8), "tokenize", "--tokenizer", DEMO);
        assertThat(valid.exitCode()).isZero();
        assertThat(valid.err()).isEmpty();
    }

    @Test
    void aLoneSurrogateOnStdinIsCounted() throws Exception {
        byte[] surrogate = {'x', (byte) 0xED, (byte) 0xA0, (byte) 0x80, 'y'}; // U+D800 encoded as if it were a character
        StringBuilderWriter err = new StringBuilderWriter();
        String text = Stdin.decode(new ByteArrayInputStream(surrogate), err.printer());
        assertThat(text).startsWith("x\uFFFD").endsWith("y").doesNotContain("\uD800");
        assertThat(err.text()).startsWith("warning: stdin was not valid UTF-8; 3 malformed bytes were replaced with U+FFFD");
    }

    @Test
    void moreThreadsThanProcessorsAreRefused(@TempDir Path dir) throws Exception {
        Path target = TinyModels.withTokenizer("gpt2-tiny", dir);
        String tooMany = Integer.toString(Runtime.getRuntime().availableProcessors() + 1);
        CliTestSupport.Result threads = CliTestSupport.run("generate", "--mode", "ar", "--model", target.toString(), "--threads", tooMany,
                "--max-tokens", "2", "x");
        assertThat(threads.exitCode()).isEqualTo(1);
        assertThat(threads.err().trim()).hasLineCount(1).startsWith("specdiff4j: --threads " + tooMany + " is more than the ");
        CliTestSupport.Result drafter = CliTestSupport.run("generate", "--mode", "ar", "--model", target.toString(), "--drafter-threads",
                tooMany, "--max-tokens", "2", "x");
        assertThat(drafter.exitCode()).isEqualTo(1);
        assertThat(drafter.err()).contains("--drafter-threads " + tooMany + " is more than the ");
    }

    @Test
    void pathsAreNamedAsTheUserGaveThem(@TempDir Path dir) throws Exception {
        Path target = TinyModels.withTokenizer("gpt2-tiny", dir);
        Path text = dir.resolve("notes.txt");
        Files.writeString(text, "not a model");
        CliTestSupport.Result model = CliTestSupport.run("generate", "--mode", "ar", "--model", text.toString(), "x");
        assertThat(model.exitCode()).isEqualTo(1);
        assertThat(model.err().trim()).isEqualTo("specdiff4j: " + text + " is not a model: give an HF model folder "
                + "(config.json and .safetensors files) or a .gguf file");
        Path missing = dir.resolve("no-such-folder").resolve("out.gguf");
        CliTestSupport.Result convert = CliTestSupport.run("convert", target.toString(), missing.toString(), "--to", "gguf");
        assertThat(convert.exitCode()).isEqualTo(1);
        assertThat(convert.err()).contains("cannot write " + missing).doesNotContain(".partial");
    }

    /** A PrintWriter over a StringWriter, for calling Stdin directly. */
    private static final class StringBuilderWriter {
        private final StringWriter text = new StringWriter();
        private final PrintWriter printer = new PrintWriter(text, true);

        PrintWriter printer() {
            return printer;
        }

        String text() {
            return text.toString();
        }
    }
}
