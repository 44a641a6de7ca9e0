package dev.specdiff4j.engine.batch;

import dev.specdiff4j.engine.model.CausalLanguageModel;
import dev.specdiff4j.engine.model.KvPages;

import java.util.function.UnaryOperator;

/** A model whose batch pass is wrapped (to observe or break it); everything else is the wrapped model's. */
record WrappedPassModel(CausalLanguageModel model, UnaryOperator<CausalLanguageModel.BatchPass> wrap) implements CausalLanguageModel {
    @Override
    public int vocabSize() {
        return model.vocabSize();
    }

    @Override
    public int contextLength() {
        return model.contextLength();
    }

    @Override
    public String describe() {
        return model.describe();
    }

    @Override
    public Session newSession() {
        return model.newSession();
    }

    @Override
    public Session newSession(int positions) {
        return model.newSession(positions);
    }

    @Override
    public Session newSession(int positions, KvPages pages) {
        return model.newSession(positions, pages);
    }

    @Override
    public int kvPageFloats(int pageRows) {
        return model.kvPageFloats(pageRows);
    }

    @Override
    public long kvBytesPerPosition() {
        return model.kvBytesPerPosition();
    }

    @Override
    public BatchPass newBatchPass() {
        return wrap.apply(model.newBatchPass());
    }

    @Override
    public void close() {
    }
}
