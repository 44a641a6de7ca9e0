package dev.specdiff4j.engine.api;

import dev.specdiff4j.engine.model.LoadedModel;
import dev.specdiff4j.engine.model.MaskedDiffusionLm;
import dev.specdiff4j.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A drafter must speak the target's vocabulary: the same tokenizer, and for a diffusion drafter the
 * target's vocabulary plus one MASK token. Otherwise its tokens would mean something else to the target.
 */
final class VocabularyCheck {
    private VocabularyCheck() {
    }

    static void diffusionDrafter(Path path, MaskedDiffusionLm drafter, LoadedModel target, Tokenizer targetTokenizer) throws IOException {
        int drafterVocab = drafter.config().vocabSize();
        if (drafterVocab != target.vocabSize() + 1) {
            throw new IllegalArgumentException("the diffusion drafter " + path + " has a vocabulary of " + drafterVocab
                    + " but the target's is " + target.vocabSize() + ": an MDLM drafter needs the target's vocabulary plus one MASK token");
        }
        sameTokenizerIfPresent(path, drafter.files(), targetTokenizer);
    }

    static void autoregressiveDrafter(Path path, LoadedModel drafter, LoadedModel target, Tokenizer targetTokenizer) throws IOException {
        if (drafter.vocabSize() != target.vocabSize()) {
            throw new IllegalArgumentException("the autoregressive drafter " + path + " has a vocabulary of " + drafter.vocabSize()
                    + " but the target's is " + target.vocabSize());
        }
        sameTokenizerIfPresent(path, drafter.files(), targetTokenizer);
    }

    /** A drafter folder without tokenizer files (as the public MDLM checkpoint) is checked by vocabulary size only. */
    private static void sameTokenizerIfPresent(Path path, dev.specdiff4j.engine.model.ModelFiles files, Tokenizer target) throws IOException {
        Tokenizer own;
        try {
            own = files.anyTokenizer();
        } catch (dev.specdiff4j.tokenizer.TokenizerException | dev.specdiff4j.engine.model.ModelFormatException e) {
            if (e.getMessage() != null && (e.getMessage().contains("holds no tokenizer") || e.getMessage().contains("no tokenizer"))) return;
            throw e;
        }
        sameTokenizer(path, own, target);
    }

    private static void sameTokenizer(Path path, Tokenizer drafter, Tokenizer target) {
        int n = Math.max(drafter.vocabSize(), target.vocabSize());
        for (int id = 0; id < n; id++) {
            byte[] a = bytesOrNull(drafter, id);
            byte[] b = bytesOrNull(target, id);
            if (!Arrays.equals(a, b)) {
                throw new IllegalArgumentException("the drafter " + path + " uses another tokenizer than the target: token " + id
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
