package dev.specdiff4j.tokenizer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BpeTrainerTest {

    private static List<String> corpus() {
        List<String> docs = new ArrayList<>(TestTokenizers.stressStrings(11L, 1500));
        for (int i = 0; i < 200; i++) {
            docs.add("The quick brown fox jumps over the lazy dog. It's the " + i + "th time we've seen it, isn't it?\n");
        }
        return docs;
    }

    @Test
    void trainedTokenizerRoundTripsItsCorpusAndCompresses() {
        List<String> docs = corpus();
        BpeTokenizer tokenizer = new BpeTrainer(BpeTrainer.Options.gpt2Style(1000), null).train(docs);
        assertThat(tokenizer.vocabSize()).isEqualTo(1000);
        assertThat(tokenizer.specialTokenId("<|endoftext|>")).hasValue(999);
        long bytes = 0;
        long tokens = 0;
        for (String doc : docs) {
            int[] ids = tokenizer.encode(doc);
            assertThat(tokenizer.decode(ids)).isEqualTo(doc);
            bytes += doc.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
            tokens += ids.length;
        }
        assertThat((double) bytes / tokens).as("bytes per token").isGreaterThan(1.8);
        int[] fox = tokenizer.encode(" quick");
        assertThat(fox).as("a frequent word becomes one token").hasSize(1);
    }

    @Test
    void mergesAreTheMostFrequentPairsFirst() {
        // "ab" occurs 6 times, "cd" 4 times, then "abcd" (from "ab" + "cd") 3 times.
        List<String> docs = List.of("ababab", "abcd abcd abcd", "cdx");
        BpeTokenizer t = new BpeTrainer(new BpeTrainer.Options(256 + 3, List.of(), PreTokenizer.GPT2, 2), null).train(docs);
        int[][] merges = t.mergeList();
        assertThat(merges).hasNumberOfRows(3);
        assertThat(new String(t.tokenBytes(256))).isEqualTo("ab");
        assertThat(new String(t.tokenBytes(257))).isEqualTo("cd");
        assertThat(new String(t.tokenBytes(258))).isEqualTo("abcd");
    }

    @Test
    void trainingTwiceGivesIdenticalFiles(@TempDir Path dir) throws IOException {
        List<String> docs = corpus();
        BpeTrainer.Options options = BpeTrainer.Options.gpt2Style(700);
        HfTokenizerWriter.write(new BpeTrainer(options, null).train(docs), dir.resolve("a.json"));
        HfTokenizerWriter.write(new BpeTrainer(options, null).train(docs), dir.resolve("b.json"));
        assertThat(Files.readAllBytes(dir.resolve("a.json"))).isEqualTo(Files.readAllBytes(dir.resolve("b.json")));
        BpeTokenizer reloaded = Tokenizers.load(dir.resolve("a.json"));
        BpeTokenizer trained = new BpeTrainer(options, null).train(docs);
        for (String doc : docs) assertThat(reloaded.encode(doc)).containsExactly(trained.encode(doc));
    }

    @Test
    void reportsProgressAndRejectsImpossibleSizes() {
        List<int[]> updates = new ArrayList<>();
        new BpeTrainer(BpeTrainer.Options.gpt2Style(900), (done, total) -> updates.add(new int[] {done, total})).train(corpus());
        assertThat(updates).isNotEmpty();
        assertThat(updates.getLast()).containsExactly(643, 643);
        assertThatThrownBy(() -> BpeTrainer.Options.gpt2Style(100)).hasMessageContaining("smaller than the 256 byte tokens");
    }

    @Test
    void longWordsAreEncodedWithoutBlowingUp() {
        BpeTokenizer gpt2 = TestTokenizers.gpt2();
        String word = "ab".repeat(100_000);
        int[] ids = gpt2.encode(word);
        assertThat(gpt2.decode(ids)).isEqualTo(word);
        assertThat(ids.length).isLessThanOrEqualTo(word.length() / 2);
    }
}
