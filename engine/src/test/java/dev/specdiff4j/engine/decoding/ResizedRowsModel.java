package dev.specdiff4j.engine.decoding;

import dev.specdiff4j.engine.model.CausalLanguageModel;
import dev.specdiff4j.engine.model.KvPages;

import java.util.ArrayList;
import java.util.List;

/**
 * A model with another number of embedding and LM-head rows than the one it wraps, as one family's sizes pad one tokenizer's
 * vocabulary differently. Fewer rows: the last ones are cut, and feeding an id past them fails as an embedding lookup would.
 * More rows: padding row {@code V + i} reads as wrapped id {@code source(i)} and scores its logit plus 0.1, so it wins
 * whenever that id would have (often enough for every test to draft and emit padding ids).
 */
public record ResizedRowsModel(CausalLanguageModel model, int rows) implements CausalLanguageModel {
    private int source(int paddingRow) {
        return (7 * paddingRow + 3) % model.vocabSize();
    }

    private int[] wrappedIds(int[] tokens) {
        int[] ids = tokens.clone();
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= rows) {
                throw new IllegalArgumentException("token id " + ids[i] + " is outside the vocabulary of " + rows);
            }
            if (ids[i] >= model.vocabSize()) ids[i] = source(ids[i] - model.vocabSize());
        }
        return ids;
    }

    private float[] resized(float[] logits) {
        float[] out = java.util.Arrays.copyOf(logits, rows);
        for (int v = model.vocabSize(); v < rows; v++) out[v] = logits[source(v - model.vocabSize())] + 0.1f;
        return out;
    }

    private float[][] resized(float[][] logits) {
        float[][] out = new float[logits.length][];
        for (int i = 0; i < out.length; i++) out[i] = resized(logits[i]);
        return out;
    }

    @Override
    public int vocabSize() {
        return rows;
    }

    @Override
    public int contextLength() {
        return model.contextLength();
    }

    @Override
    public String describe() {
        return model.describe() + " with " + rows + " rows";
    }

    @Override
    public Session newSession() {
        return new Resized(model.newSession());
    }

    @Override
    public Session newSession(int positions) {
        return new Resized(model.newSession(positions));
    }

    @Override
    public Session newSession(int positions, KvPages pages) {
        return new Resized(model.newSession(positions, pages));
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
        BatchPass inner = model.newBatchPass();
        return (sessions, tokens, logitRows) -> {
            List<Session> unwrapped = new ArrayList<>();
            for (Session s : sessions) unwrapped.add(((Resized) s).inner);
            List<int[]> ids = new ArrayList<>();
            for (int[] t : tokens) ids.add(wrappedIds(t));
            float[][][] out = inner.forward(unwrapped, ids, logitRows);
            for (int i = 0; i < out.length; i++) out[i] = resized(out[i]);
            return out;
        };
    }

    @Override
    public void close() {
    }

    private final class Resized implements Session {
        private final Session inner;

        Resized(Session inner) {
            this.inner = inner;
        }

        @Override
        public int length() {
            return inner.length();
        }

        @Override
        public int contextLength() {
            return inner.contextLength();
        }

        @Override
        public float[][] forward(int[] tokens, int logitRows) {
            return resized(inner.forward(wrappedIds(tokens), logitRows));
        }

        @Override
        public boolean supportsTrees() {
            return inner.supportsTrees();
        }

        @Override
        public TreeLogits forwardTreeLazily(int[] tokens, int[] parents) {
            TreeLogits logits = inner.forwardTreeLazily(wrappedIds(tokens), parents);
            return node -> resized(logits.row(node));
        }

        @Override
        public void keepTreePath(int treeStart, int[] nodes) {
            inner.keepTreePath(treeStart, nodes);
        }

        @Override
        public void truncate(int length) {
            inner.truncate(length);
        }

        @Override
        public void close() {
            inner.close();
        }
    }
}
