package dev.specdiff4j.engine.api;

import dev.specdiff4j.engine.model.LoadedModel;
import dev.specdiff4j.engine.model.MaskedDiffusionLm;
import dev.specdiff4j.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A drafter must speak the target's vocabulary, else its tokens would mean something else to the target. An
 * autoregressive drafter needs the same tokenizer and a row for each of its ids; its row count may differ from the
 * target's (a family pads its embeddings per size: Qwen2.5-0.5B has 151936 rows, -7B 152064, one tokenizer of 151665 ids).
 * A diffusion drafter needs exactly the target's rows plus one MASK token.
 */
final class VocabularyCheck {
    private VocabularyCheck() {
    }

    static void diffusionDrafter(Path path, MaskedDiffusionLm drafter, Path targetPath, LoadedModel target, Tokenizer targetTokenizer) throws IOException {
        int drafterVocab = drafter.config().vocabSize();
        if (drafterVocab != target.vocabSize() + 1) {
            throw new IllegalArgumentException("the diffusion drafter " + path + " has a vocabulary of " + drafterVocab
                    + " but the target " + targetPath + " has " + target.vocabSize() + ": an MDLM drafter needs the target's vocabulary plus one MASK token"
                    + " (its last id is MASK, every other id is taken for the target's own, and its drafts carry probability"
                    + " rows over exactly the target's ids)");
        }
        sameTokenizerIfPresent(path, drafter.files(), targetPath, targetTokenizer);
    }

    /**
     * Accepts the drafter when it has the target's tokenizer and a row for each of its ids, whatever padding rows either
     * model adds; a drafter without tokenizer files can only be checked by its rows, which must then equal the target's.
     */
    static void autoregressiveDrafter(Path path, LoadedModel drafter, Path targetPath, LoadedModel target, Tokenizer targetTokenizer) throws IOException {
        Tokenizer own = tokenizerIfPresent(drafter.files());
        if (own == null) {
            if (drafter.vocabSize() != target.vocabSize()) {
                throw new IllegalArgumentException("the autoregressive drafter " + path + " has a vocabulary of " + drafter.vocabSize()
                        + " but the target " + targetPath + " has " + target.vocabSize() + ", and it holds no tokenizer to show that the ids they"
                        + " share mean the same");
            }
            return;
        }
        sameTokenizer(path, own, targetPath, targetTokenizer);
        if (drafter.vocabSize() < targetTokenizer.vocabSize()) {
            throw new IllegalArgumentException("the autoregressive drafter " + path + " has " + drafter.vocabSize()
                    + " embedding rows but its tokenizer, that of the target " + targetPath + ", has " + targetTokenizer.vocabSize() + " ids");
        }
    }

    /** A drafter folder without tokenizer files (as the public MDLM checkpoint) is checked by vocabulary size only. */
    private static void sameTokenizerIfPresent(Path path, dev.specdiff4j.engine.model.ModelFiles files, Path targetPath, Tokenizer target) throws IOException {
        Tokenizer own = tokenizerIfPresent(files);
        if (own != null) sameTokenizer(path, own, targetPath, target);
    }

    /** The tokenizer a model folder or file holds, or null when it holds none. */
    private static Tokenizer tokenizerIfPresent(dev.specdiff4j.engine.model.ModelFiles files) throws IOException {
        try {
            return files.anyTokenizer();
        } catch (dev.specdiff4j.tokenizer.TokenizerException | dev.specdiff4j.engine.model.ModelFormatException e) {
            if (e.getMessage() != null && (e.getMessage().contains("holds no tokenizer") || e.getMessage().contains("no tokenizer"))) return null;
            throw e;
        }
    }

    private static void sameTokenizer(Path path, Tokenizer drafter, Path targetPath, Tokenizer target) {
        int n = Math.max(drafter.vocabSize(), target.vocabSize());
        for (int id = 0; id < n; id++) {
            byte[] a = bytesOrNull(drafter, id);
            byte[] b = bytesOrNull(target, id);
            if (!Arrays.equals(a, b)) {
                throw new IllegalArgumentException("the drafter " + path + " uses another tokenizer than the target " + targetPath + ": token " + id
                        + " is " + show(a) + " for the drafter and " + show(b) + " for the target");
            }
        }
    }

    private static byte[] bytesOrNull(Tokenizer t, int id) {
        try {
            return t.tokenBytes(id);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static String show(byte[] bytes) {
        return bytes == null ? "missing" : "'" + new String(bytes, java.nio.charset.StandardCharsets.UTF_8) + "'";
    }
}
