package dev.specdiff4j.tokenizer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Broken tokenizer files give an error that names the file and what is wrong. */
class MalformedTokenizerFilesTest {
    @TempDir
    Path dir;

    private Path write(String name, String content) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, content, StandardCharsets.UTF_8);
        return p;
    }

    private String smallTokenizerJson(String vocabExtra, String merges) {
        StringBuilder vocab = new StringBuilder();
        for (int i = 0; i < 256; i++) {
            String token = String.valueOf(ByteLevel.charOf(ByteLevel.byteAt(i)));
            StringBuilder quoted = new StringBuilder();
            dev.specdiff4j.json.Json.quote(quoted, token);
            vocab.append(i == 0 ? "" : ",").append(quoted).append(':').append(i);
        }
        return "{\"model\":{\"type\":\"BPE\",\"vocab\":{" + vocab + vocabExtra + "},\"merges\":" + merges + "},"
                + "\"pre_tokenizer\":{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"use_regex\":true}}";
    }

    @Test
    void validSmallFileLoads() throws IOException {
        Path p = write("tokenizer.json", smallTokenizerJson(",\"ab\":256", "[\"a b\"]"));
        BpeTokenizer t = Tokenizers.load(p);
        org.assertj.core.api.Assertions.assertThat(t.encode("abab")).containsExactly(256, 256);
    }

    @Test
    void badJson() throws IOException {
        Path p = write("tokenizer.json", "{\"model\": {\"type\": \"BPE\", ");
        assertThatThrownBy(() -> Tokenizers.load(p)).isInstanceOf(TokenizerException.class)
                .hasMessageContaining(p.toString()).hasMessageContaining("not valid JSON");
    }

    @Test
    void missingMerges() throws IOException {
        Path p = write("tokenizer.json", smallTokenizerJson("", "null").replace(",\"merges\":null", ""));
        assertThatThrownBy(() -> Tokenizers.load(p)).isInstanceOf(TokenizerException.class)
                .hasMessageContaining(p.toString()).hasMessageContaining("'merges'").hasMessageContaining("missing");
    }

    @Test
    void mergeOfUnknownToken() throws IOException {
        Path p = write("tokenizer.json", smallTokenizerJson(",\"ab\":256", "[\"a zz\"]"));
        assertThatThrownBy(() -> Tokenizers.load(p)).hasMessageContaining(p.toString()).hasMessageContaining("'zz'");
    }

    @Test
    void mergeResultMissingFromVocabulary() throws IOException {
        Path p = write("tokenizer.json", smallTokenizerJson("", "[\"a b\"]"));
        assertThatThrownBy(() -> Tokenizers.load(p)).hasMessageContaining("merge #0").hasMessageContaining("not in the vocabulary");
    }

    @Test
    void negativeOrHugeIds() throws IOException {
        Path negative = write("neg.json", smallTokenizerJson(",\"ab\":-3", "[]"));
        assertThatThrownBy(() -> Tokenizers.load(negative)).hasMessageContaining("'ab'").hasMessageContaining("-3");
        Path huge = write("huge.json", smallTokenizerJson(",\"ab\":999999999", "[]"));
        assertThatThrownBy(() -> Tokenizers.load(huge)).hasMessageContaining("implausibly large");
    }

    @Test
    void duplicateIds() throws IOException {
        Path p = write("tokenizer.json", smallTokenizerJson(",\"ab\":5", "[]"));
        assertThatThrownBy(() -> Tokenizers.load(p)).hasMessageContaining("id 5 is used by two tokens");
    }

    @Test
    void missingByteToken() throws IOException {
        Path p = write("tokenizer.json", smallTokenizerJson("", "[]").replace("\"!\":0,", ""));
        assertThatThrownBy(() -> Tokenizers.load(p)).hasMessageContaining("single byte 0x21");
    }

    @Test
    void unsupportedModelAndPreTokenizer() throws IOException {
        Path wordPiece = write("wp.json", smallTokenizerJson("", "[]").replace("\"type\":\"BPE\"", "\"type\":\"WordPiece\""));
        assertThatThrownBy(() -> Tokenizers.load(wordPiece)).hasMessageContaining("WordPiece");
        Path metaspace = write("ms.json", smallTokenizerJson("", "[]").replace("\"type\":\"ByteLevel\"", "\"type\":\"Metaspace\""));
        assertThatThrownBy(() -> Tokenizers.load(metaspace)).hasMessageContaining("Metaspace");
    }

    @Test
    void brokenVocabAndMergesPair() throws IOException {
        Path vocab = write("vocab.json", "[1, 2]");
        write("merges.txt", "#version: 0.2\na b\n");
        assertThatThrownBy(() -> Tokenizers.load(dir)).hasMessageContaining(vocab.toString());
    }

    @Test
    void brokenTiktoken() throws IOException {
        Path p = write("bad.tiktoken", "IQ== 0\nnot-base64!! 1\n");
        assertThatThrownBy(() -> Tokenizers.load(p)).hasMessageContaining(p.toString()).hasMessageContaining("line 2");
        Path dup = write("dup.tiktoken", "IQ== 0\nIg== 0\n");
        assertThatThrownBy(() -> Tokenizers.load(dup)).hasMessageContaining("rank 0 appears twice");
    }

    @Test
    void missingFileOrFolderWithoutTokenizer() throws IOException {
        assertThatThrownBy(() -> Tokenizers.load(dir.resolve("nope.json"))).hasMessageContaining("no such file");
        Files.createDirectories(dir.resolve("empty"));
        assertThatThrownBy(() -> Tokenizers.load(dir.resolve("empty"))).hasMessageContaining("holds no tokenizer.json");
    }
}
