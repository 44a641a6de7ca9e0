package dev.specdiff4j.bench;

import dev.specdiff4j.weights.Converter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * java-llama.cpp deletes the files of its extraction folder whose names start with "llama" or "jllama" before it extracts
 * its native library. {@link LlamaCpp} points it at a folder of its own, so a user's llama-* files in java.io.tmpdir survive
 * running a benchmark.
 */
class LlamaCppExtractionFolderTest {
    @Test
    void aUsersLlamaFilesInTheTempFolderSurviveLoadingLlamaCpp(@TempDir Path dir) throws IOException {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        String tag = UUID.randomUUID().toString();
        Path userModel = Files.writeString(tmp.resolve("llama-" + tag + ".gguf"), "a user's file");
        Path userLog = Files.writeString(tmp.resolve("jllama-" + tag + ".log"), "another");
        try {
            Path gguf = dir.resolve("target-q8_0.gguf");
            Converter.convert(LlamaCppAgreementTest.demoTarget(), gguf, Converter.Options.of(Converter.Format.GGUF, "q8_0", false, null));
            try (LlamaCpp llama = new LlamaCpp(gguf, 1)) {
                assertThat(llama.encode("Hello")).isNotEmpty();
            }
            assertThat(userModel).exists().hasContent("a user's file");
            assertThat(userLog).exists().hasContent("another");
            Path folder = Path.of(System.getProperty(LlamaCpp.EXTRACTION_FOLDER));
            assertThat(folder).isDirectory().isNotEqualTo(tmp);
            assertThat(folder.getFileName().toString()).startsWith("specdiff4j-java-llama-");
        } finally {
            Files.deleteIfExists(userModel);
            Files.deleteIfExists(userLog);
        }
    }
}
