package dev.specdiff4j.engine.model;

import dev.specdiff4j.engine.model.transformer.TransformerLoader;

import java.io.IOException;
import java.nio.file.Path;

/** A causal model loaded from files: GPT-2 or a Llama-layout family. What the API needs besides the forward pass. */
public interface LoadedModel extends CausalLanguageModel {
    /** The files the weights came from (the tokenizer and chat template live there too). */
    ModelFiles files();

    /** The end-of-sequence id from the model's config, or -1. */
    int eosTokenId();

    /** Loads whichever causal family the files hold (GPT-2, llama, mistral, qwen2, qwen3). */
    static LoadedModel load(Path path, LoadOptions options) throws IOException {
        ModelFiles files = ModelFiles.open(path);
        if (files.architecture().isTransformerFamily()) {
            try {
                return TransformerLoader.load(files, options);
            } catch (RuntimeException e) {
                files.close();
                throw e;
            }
        }
        files.close();
        return Gpt2.load(path, options);
    }
}
