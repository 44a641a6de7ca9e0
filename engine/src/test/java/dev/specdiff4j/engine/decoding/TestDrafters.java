package dev.specdiff4j.engine.decoding;

import dev.specdiff4j.engine.model.CausalLanguageModel;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;

/** Drafters with a known quality, built on the target itself: right with a given probability, else wrong. */
final class TestDrafters {
    private TestDrafters() {
    }

    /**
     * Samples each token from a sharpened copy of the target's own row, q ∝ p³ over the target's support:
     * a drafter that agrees with the target about what is possible but not about how likely, which is
     * where a wrong acceptance rule shows.
     */
    static Drafter sharpened(CausalLanguageModel target) {
        return onTarget(target, "sharpened-target drafter", true, (logits, position, sampling, seed, rows, i) -> {
            double[] p = Probabilities.of(logits, target.vocabSize(), sampling);
            double sum = 0;
            for (int v = 0; v < p.length; v++) {
                p[v] = p[v] * p[v] * p[v];
                sum += p[v];
            }
            for (int v = 0; v < p.length; v++) p[v] /= sum;
            rows[i] = p;
            return Probabilities.draw(p, Seeds.at(seed, 8, position).nextDouble());
        });
    }

    /** Proposes the target's own greedy choice with probability {@code rightness}, otherwise a different token. */
    static Drafter oracle(CausalLanguageModel target, double rightness) {
        int vocab = target.vocabSize();
        return onTarget(target, "oracle drafter, right with probability " + rightness, false, (logits, position, sampling, seed, rows, i) -> {
            SplittableRandom r = Seeds.at(seed, 9, position);
            int best = Probabilities.argmax(logits, vocab);
            return r.nextDouble() < rightness ? best : (best + 1 + r.nextInt(vocab - 1)) % vocab;
        });
    }

    /**
     * Offers token trees made of the target's own likeliest tokens: along the target's greedy continuation, the top
     * {@code width} of its sampling row at each position (with sharpened probabilities), so that several siblings carry real
     * probability and both the acceptance of a sibling and the residual after rejected ones matter.
     */
    static Drafter targetTree(CausalLanguageModel target, int width) {
        Drafter chain = sharpened(target);
        return new Drafter() {
            @Override
            public String describe() {
                return "target-tree drafter, width " + width;
            }

            @Override
            public int draftVocab() {
                return target.vocabSize();
            }

            @Override
            public long sessionBytes() {
                return chain.sessionBytes();
            }

            @Override
            public Session open(SamplingConfig sampling, long seed) {
                Session linear = chain.open(sampling, seed);
                return new Session() {
                    @Override
                    public Proposal propose(int[] committed, int gamma, boolean withGuess, BooleanSupplier abandon) {
                        return linear.propose(committed, gamma, withGuess, abandon);
                    }

                    @Override
                    public TreeCandidates candidates(int[] committed, int gamma, int w) {
                        double[][] rows = new double[gamma][];
                        try (CausalLanguageModel.Session s = target.newSession()) {
                            float[] logits = s.forwardLast(committed);
                            for (int i = 0; i < gamma; i++) {
                                double[] p = Probabilities.of(logits, target.vocabSize(), sampling);
                                for (int v = 0; v < p.length; v++) p[v] = p[v] * p[v] * p[v];
                                rows[i] = p;
                                if (i + 1 < gamma) logits = s.forwardLast(new int[] {Probabilities.argmax(logits, target.vocabSize())});
                            }
                        }
                        return TreeCandidates.fromRows(rows, Math.min(w, width), gamma);
                    }

                    @Override
                    public void close() {
                        linear.close();
                    }
                };
            }
        };
    }

    /** Picks the draft token at {@code position} from the target's logits there; may fill {@code rows[i]} with q. */
    private interface TokenPicker {
        int pick(float[] logits, int position, SamplingConfig sampling, long seed, double[][] rows, int i);
    }

    /** A causal drafter that runs the target itself token by token and lets {@code picker} choose each draft token. */
    private static Drafter onTarget(CausalLanguageModel target, String description, boolean withRows, TokenPicker picker) {
        return new Drafter() {
            @Override
            public String describe() {
                return description;
            }

            @Override
            public int draftVocab() {
                return target.vocabSize();
            }

            @Override
            public long sessionBytes() {
                return target.contextLength() * target.kvBytesPerPosition();
            }

            @Override
            public Session open(SamplingConfig sampling, long seed) {
                return new Session() {
                    @Override
                    public Proposal propose(int[] committed, int gamma, boolean withGuess, BooleanSupplier abandon) {
                        int wanted = gamma + (withGuess ? 1 : 0);
                        int[] tokens = new int[wanted];
                        double[][] rows = new double[wanted][];
                        try (CausalLanguageModel.Session s = target.newSession()) {
                            float[] logits = s.forwardLast(committed);
                            for (int i = 0; i < wanted; i++) {
                                tokens[i] = picker.pick(logits, committed.length + i, sampling, seed, rows, i);
                                if (i + 1 < wanted) logits = s.forwardLast(new int[] {tokens[i]});
                            }
                        }
                        return new Proposal(Arrays.copyOf(tokens, gamma), withRows ? Arrays.copyOf(rows, gamma) : null,
                                withGuess ? tokens[gamma] : -1, wanted);
                    }

                    @Override
                    public void close() {
                    }
                };
            }
        };
    }
}
