package dev.specdiff4j.engine.model;

import dev.specdiff4j.json.JsonException;
import dev.specdiff4j.json.JsonFields;

import java.util.Arrays;
import java.util.List;

/**
 * The shape of a target-conditioned block drafter ({@code config.json}, {@code "model_type": "block_drafter"}), including
 * what it expects of its target: the hidden size, the blocks whose hidden states it reads, the vocabulary and the context.
 *
 * @param draftVocab the target token ids the draft head scores, in the order of its logits (all of them when the config
 *                   has no {@code draft_vocab})
 */
public record BlockDrafterConfig(int targetHidden, int[] targetLayers, int targetVocab, int targetPositions, int layers, int heads,
                                 int ffnDim, int blockSize, float layerNormEps, float ropeTheta, int[] draftVocab) {

    public BlockDrafterConfig {
        positive("target_hidden_size", targetHidden);
        positive("target_vocab_size", targetVocab);
        positive("target_positions", targetPositions);
        positive("n_layer", layers);
        positive("n_head", heads);
        positive("n_inner", ffnDim);
        if (blockSize < 2) throw new ModelFormatException("block drafter config: block_size must be at least 2 (a token and a mask), got " + blockSize);
        if (targetLayers.length == 0) throw new ModelFormatException("block drafter config: target_layers is empty");
        if (targetHidden % heads != 0 || (targetHidden / heads) % 2 != 0) {
            throw new ModelFormatException("block drafter config: target_hidden_size " + targetHidden + " / n_head " + heads
                    + " must be an even head width (rotary embeddings)");
        }
        for (int l : targetLayers) if (l < 0) throw new ModelFormatException("block drafter config: target layer " + l + " is negative");
        if (Arrays.stream(targetLayers).distinct().count() != targetLayers.length) {
            throw new ModelFormatException("block drafter config: target_layers " + Arrays.toString(targetLayers) + " names a layer twice");
        }
        if (draftVocab.length == 0) throw new ModelFormatException("block drafter config: draft_vocab is empty");
        for (int id : draftVocab) {
            if (id < 0 || id >= targetVocab) {
                throw new ModelFormatException("block drafter config: draft_vocab id " + id + " is outside the target vocabulary of " + targetVocab);
            }
        }
    }

    private static void positive(String field, int value) {
        if (value <= 0) throw new ModelFormatException("block drafter config: " + field + " must be a positive integer, got " + value);
    }

    public int headDim() {
        return targetHidden / heads;
    }

    /** The longest draft: the block holds the last committed token and γ masks. */
    public int maxGamma() {
        return blockSize - 1;
    }

    static BlockDrafterConfig fromHf(JsonFields c) {
        try {
            int vocab = c.integer("target_vocab_size");
            int[] draftVocab = c.has("draft_vocab") && c.raw("draft_vocab") != null ? ints(c.array("draft_vocab"), "draft_vocab")
                    : java.util.stream.IntStream.range(0, Math.max(vocab, 0)).toArray();
            return new BlockDrafterConfig(c.integer("target_hidden_size"), ints(c.array("target_layers"), "target_layers"), vocab,
                    c.integer("target_positions"), c.integer("n_layer"), c.integer("n_head"), c.integer("n_inner"), c.integer("block_size"),
                    (float) c.numberOr("layer_norm_epsilon", 1e-5), (float) c.numberOr("rope_theta", 10000.0), draftVocab);
        } catch (JsonException e) {
            throw new ModelFormatException(e.getMessage());
        }
    }

    private static int[] ints(List<Object> list, String field) {
        int[] out = new int[list.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(list.get(i) instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
                throw new ModelFormatException("block drafter config: " + field + " holds " + list.get(i) + ", not an integer");
            }
            out[i] = n.intValue();
        }
        return out;
    }

    /** Parameters of the draft head itself (the target's embedding and LM head are shared, not counted). */
    public long parameters() {
        long d = targetHidden;
        long perLayer = 4 * d + 4 * d * d + 2 * d * ffnDim + ffnDim + d;
        return (long) targetLayers.length * d * d + 2 * d + d + (long) blockSize * d + layers * perLayer + 2 * d;
    }
}
