package dev.specdiff4j.engine.decoding;

import dev.specdiff4j.engine.model.BlockDiffusionDrafter;
import dev.specdiff4j.engine.model.BlockDrafterConfig;

import java.util.Arrays;
import java.util.function.BooleanSupplier;

/**
 * The target-conditioned drafter (docs/ALGORITHM.md, "Block drafter"): one pass of a {@link BlockDiffusionDrafter} over the
 * last committed token and the block's masks, conditioned on the target's hidden states of every earlier committed position,
 * which the speculative decoder hands over after each verification (no extra target pass). The block always holds the
 * drafter's full block size and the first γ of its rows are used, so a shorter γ sees the same rows it was trained with.
 *
 * <p>It cannot draft ahead while the target verifies (overlap): the next block needs the target's features of the block
 * being verified. Token trees take the top candidates of each row of the one pass.
 *
 * <p>When sampling, its rows are drawn independently (each from its own seeded stream) from softmax(logits), at temperature 1
 * whatever the request's, so row j's distribution given the drafts before it is row j itself, as MARGINAL acceptance needs. Under STRICT acceptance, which accepts a fixed guess d
 * with probability p(d) whatever chose it, it drafts each row's most likely token instead: a drawn d is accepted with
 * Σ q·p on average, the row's most likely token with p(argmax q), higher whenever q ranks the target's likely tokens
 * first (docs/notes/18-block-drafter-round3.md measures both on the demo pair).
 */
public final class BlockDrafter implements Drafter {
    private final BlockDiffusionDrafter model;

    public BlockDrafter(BlockDiffusionDrafter model) {
        this.model = model;
    }

    @Override
    public String describe() {
        return "block drafter (" + model.describe() + ")";
    }

    @Override
    public int draftVocab() {
        return model.config().targetVocab();
    }

    public int maxGamma() {
        return model.config().maxGamma();
    }

    @Override
    public int[] targetFeatureLayers() {
        return model.config().targetLayers().clone();
    }

    /** The draft layers' keys and values of the target's features, for every position of the target's context. */
    @Override
    public long sessionBytes() {
        BlockDrafterConfig c = model.config();
        return 2L * c.layers() * c.targetPositions() * c.targetHidden() * Float.BYTES;
    }

    @Override
    public Session open(SamplingConfig sampling, long seed) {
        return open(sampling, seed, AcceptancePolicy.MARGINAL);
    }

    @Override
    public Session open(SamplingConfig sampling, long seed, AcceptancePolicy policy) {
        boolean mostLikely = sampling.isGreedy() || policy == AcceptancePolicy.STRICT;
        // drawn drafts come from the drafter's own distribution, softmax(logits) (with the request's top-k and top-p): on the
        // demo pair at T = 0.8 it overlaps the target's p_0.8 more than softmax(logits / 0.8) does (0.65 of row 1 against
        // 0.50, docs/notes/18-block-drafter-round3.md); MARGINAL is exact for any row the drafts are drawn from
        SamplingConfig drawing = mostLikely ? sampling : new SamplingConfig(1.0, sampling.topK(), sampling.topP(), sampling.seed());
        BlockDiffusionDrafter.Context context = model.newContext();
        int[] ids = model.config().draftVocab();
        int vocab = draftVocab();
        return new Session() {
            /** Logits over the target vocabulary (−∞ outside the draft vocabulary) of the γ positions after {@code committed}. */
            private float[][] rows(int[] committed, int gamma) {
                if (gamma > maxGamma()) {
                    throw new IllegalArgumentException("gamma " + gamma + " is more than the block drafter drafts (" + maxGamma()
                            + ", its block size less one)");
                }
                float[][] draft = context.draft(committed[committed.length - 1], committed.length - 1, maxGamma());
                float[][] rows = new float[gamma][vocab];
                for (int j = 0; j < gamma; j++) {
                    Arrays.fill(rows[j], Float.NEGATIVE_INFINITY);
                    for (int i = 0; i < ids.length; i++) rows[j][ids[i]] = draft[j][i];
                }
                return rows;
            }

            @Override
            public Proposal propose(int[] committed, int gamma, boolean withGuess, BooleanSupplier abandon) {
                if (withGuess) {
                    throw new IllegalArgumentException("the block drafter cannot draft ahead (overlap): its next block needs the target's "
                            + "hidden states of the block being verified");
                }
                float[][] logits = rows(committed, gamma);
                int[] tokens = new int[gamma];
                double[][] probabilities = mostLikely ? null : new double[gamma][];
                for (int j = 0; j < gamma; j++) {
                    if (mostLikely) {
                        tokens[j] = Probabilities.argmax(logits[j], vocab);
                    } else {
                        probabilities[j] = Probabilities.of(logits[j], vocab, drawing);
                        tokens[j] = Probabilities.draw(probabilities[j], Seeds.at(seed, 4, committed.length + j).nextDouble());
                    }
                }
                return new Proposal(tokens, probabilities, -1, 1);
            }

            @Override
            public TreeCandidates candidates(int[] committed, int gamma, int width) {
                float[][] logits = rows(committed, gamma);
                double[][] rows = new double[gamma][];
                for (int j = 0; j < gamma; j++) rows[j] = TreeCandidates.softmax(logits[j], vocab);
                return TreeCandidates.fromRows(rows, width, 1);
            }

            @Override
            public void observeTargetFeatures(int from, float[] features, int rows) {
                context.append(from, features, rows);
            }

            @Override
            public void close() {
            }
        };
    }
}
