package dev.specdiff4j.weights;

import dev.specdiff4j.engine.api.Cancellation;
import dev.specdiff4j.engine.api.GenerationConfig;
import dev.specdiff4j.engine.api.GenerationListener;
import dev.specdiff4j.engine.api.GenerationResult;
import dev.specdiff4j.engine.api.Generator;
import dev.specdiff4j.engine.api.Mode;
import dev.specdiff4j.engine.api.ModelSpec;
import dev.specdiff4j.engine.decoding.SamplingConfig;
import dev.specdiff4j.engine.io.GgufFile;
import dev.specdiff4j.engine.kernels.VectorKernels;
import dev.specdiff4j.engine.model.BlockDiffusionDrafter;
import dev.specdiff4j.engine.model.LoadOptions;
import dev.specdiff4j.engine.model.ModelFiles;
import dev.specdiff4j.engine.model.transformer.Transformer;
import dev.specdiff4j.engine.model.transformer.TransformerLoader;
import dev.specdiff4j.engine.model.transformer.TransformerWeights;
import dev.specdiff4j.engine.tensor.Tensor;
import dev.specdiff4j.engine.model.ModelFormatException;
import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.tokenizer.HfTokenizerWriter;
import dev.specdiff4j.tokenizer.testing.ExternalFixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * All three modes for every Llama-layout family: random-weight targets of Llama 3 (llama.cpp's Llama 3 BPE vocabulary), Qwen 2.5
 * and Qwen 3 (the Qwen 2 vocabulary), Mistral (an HF {@code model_type: mistral} folder converted by {@code convert}) and Llama 2
 * (its SentencePiece vocabulary), each from its HF folder and from its GGUF file, run greedy through {@link Generator} in
 * {@code ar}, {@code sd} (a one-layer drafter of the same family and vocabulary, other weights; and the target as its own drafter)
 * and {@code specdiff} (an MDLM drafter of the target's vocabulary plus MASK; a block drafter reading the target's hidden
 * states): every speculative run's tokens must equal plain decoding's, for several prompts and γ. Random drafters' drafts are
 * rejected, so MDLM and block drafters that always draft a token the target emits prove the accepting path too. Drafters of
 * another vocabulary are refused. Needs SPECDIFF4J_LLAMA_VOCABS; skipped without it unless SPECDIFF4J_REQUIRE_FIXTURES=1.
 */
class FamilyModesTest {
    private static final int TOKENS = 16;
    private static final int[] GAMMAS = {1, 4};
    private static final int BLOCK_SIZE = 5; // the last token and up to 4 masks
    /** Token-id prompts (below every vocabulary's size), so that HF folder and GGUF file see the same ids. */
    private static final List<int[]> PROMPTS = List.of(new int[] {1, 450, 4996, 17354, 1701}, new int[] {1, 29871, 13, 100, 31999, 7});

    /** A family: the RandomTransformers layout it is written in and llama.cpp's vocab file of its tokenizer. */
    private record Family(String name, String layout, String vocabFile) {
        boolean sentencePiece() {
            return vocabFile.equals(SentencePieceConvertTest.VOCAB_FILE);
        }
    }

    private static final Map<String, Family> FAMILIES = new LinkedHashMap<>();

    static {
        for (Family f : List.of(new Family("llama3", "llama", "ggml-vocab-llama-bpe.gguf"), new Family("qwen2", "qwen2", "ggml-vocab-qwen2.gguf"),
                new Family("qwen3", "qwen3", "ggml-vocab-qwen2.gguf"), new Family("mistral", "llama", SentencePieceConvertTest.VOCAB_FILE),
                new Family("llama2", "llama", SentencePieceConvertTest.VOCAB_FILE))) {
            FAMILIES.put(f.name(), f);
        }
    }

    /** A target as HF folder and GGUF file (the same weights), and drafters of its vocabulary. */
    private record Checkpoints(Path hf, Path gguf, Path arDrafter, Path mdlm, Path block, int vocab) {
    }

    private static Path vocabulary(String file) {
        return ExternalFixtures.folder("SPECDIFF4J_LLAMA_VOCABS", file).resolve(file);
    }

    private static Checkpoints write(Family family, Path dir) throws IOException {
        try (GgufFile vocabulary = GgufFile.open(vocabulary(family.vocabFile()))) {
            int vocab = ((List<?>) vocabulary.metadata().get("tokenizer.ggml.tokens")).size();
            RandomTransformers.Shape shape = RandomTransformers.Shape.tiny(family.layout(), vocab);
            Path hf;
            Path gguf;
            if (family.name().equals("mistral")) {
                hf = SentencePieceConvertTest.mistralFolder(dir.resolve("hf"));
                gguf = SentencePieceConvertTest.convert(hf, dir.resolve("target.gguf"));
            } else {
                RandomTransformers weights = RandomTransformers.of(shape, 19);
                hf = weights.writeHf(dir.resolve("hf"));
                gguf = weights.writeGguf(dir.resolve("target.gguf"), vocabulary);
                if (family.sentencePiece()) {
                    SentencePieceTokenizerJson.write(hf, vocabulary.metadata());
                } else {
                    try (ModelFiles files = ModelFiles.open(gguf)) {
                        HfTokenizerWriter.write(files.tokenizer(), hf.resolve("tokenizer.json"));
                    }
                }
            }
            RandomTransformers.Shape oneLayer = new RandomTransformers.Shape(shape.family(), vocab, shape.context(), shape.dim(), 1, shape.heads(),
                    shape.kvHeads(), shape.headDim(), shape.ffnDim(), shape.ropeTheta(), shape.tied());
            Path ar = RandomTransformers.of(oneLayer, 23).writeGguf(dir.resolve("drafter.gguf"), vocabulary);
            Path mdlm = RandomCheckpoints.mdlm(dir.resolve("mdlm"), new RandomCheckpoints.MdlmShape("mdlm-" + family.name(), vocab + 1, 32, 1, 2, 16, 64),
                    DType.F32, 29);
            Path block = RandomCheckpoints.blockDrafter(dir.resolve("block"), blockShape(vocab), DType.F32, 31);
            return new Checkpoints(hf, gguf, ar, mdlm, block, vocab);
        }
    }

    private static int[] generate(Generator g, int[] prompt, Mode mode, int gamma) {
        GenerationResult r = generateResult(g, prompt, mode, gamma);
        assertThat(r.tokens()).hasSize(TOKENS);
        return r.tokens();
    }

    private static GenerationResult generateResult(Generator g, int[] prompt, Mode mode, int gamma) {
        GenerationConfig config = GenerationConfig.builder().mode(mode).maxTokens(TOKENS).stopAtEos(false).gamma(gamma).build();
        return g.generate(prompt, config, GenerationListener.NONE, new Cancellation());
    }

    private static ModelSpec spec(Path target) {
        return ModelSpec.of(target).withKernels(null, 2, 0);
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama3", "qwen2", "qwen3", "mistral", "llama2"})
    void everyModeGivesPlainGreedyDecodingsTokens(String name, @TempDir Path dir) throws IOException {
        Family family = FAMILIES.get(name);
        Checkpoints c = write(family, dir);
        Map<Path, List<int[]>> plainBySource = new LinkedHashMap<>();
        for (Path target : List.of(c.hf(), c.gguf())) {
            String source = target == c.hf() ? "HF folder" : "GGUF file";
            List<int[]> plain = new ArrayList<>();
            try (Generator g = Generator.open(spec(target).withArDrafter(c.arDrafter()).withDiffusionDrafter(c.mdlm()))) {
                for (int[] prompt : PROMPTS) {
                    int[] want = generate(g, prompt, Mode.AR, 1);
                    plain.add(want);
                    for (int gamma : GAMMAS) {
                        GenerationResult sd = generateResult(g, prompt, Mode.SD, gamma);
                        assertThat(sd.tokens()).as("%s %s: sd, γ %d", name, source, gamma).containsExactly(want);
                        assertThat(sd.stats().drafted()).as("sd drafted").isPositive();
                        GenerationResult specdiff = generateResult(g, prompt, Mode.SPECDIFF, gamma);
                        assertThat(specdiff.tokens()).as("%s %s: specdiff (MDLM), γ %d", name, source, gamma).containsExactly(want);
                        assertThat(specdiff.stats().drafted()).as("specdiff drafted").isPositive();
                    }
                }
                // a text prompt through the target's own tokenizer
                GenerationConfig.Builder text = GenerationConfig.builder().maxTokens(TOKENS).stopAtEos(false).gamma(3);
                int[] want = g.generate("Once upon a time", text.mode(Mode.AR).build()).tokens();
                assertThat(g.generate("Once upon a time", text.mode(Mode.SD).build()).tokens()).as("%s %s: sd, text", name, source).containsExactly(want);
                assertThat(g.generate("Once upon a time", text.mode(Mode.SPECDIFF).build()).tokens()).as("%s %s: specdiff, text", name, source)
                        .containsExactly(want);
            }
            try (Generator g = Generator.open(spec(target).withDiffusionDrafter(c.block()))) {
                assertThat(g.describe()).contains("block drafter");
                for (int p = 0; p < PROMPTS.size(); p++) {
                    for (int gamma : GAMMAS) {
                        GenerationResult r = generateResult(g, PROMPTS.get(p), Mode.SPECDIFF, gamma);
                        assertThat(r.tokens()).as("%s %s: specdiff (block drafter), γ %d", name, source, gamma).containsExactly(plain.get(p));
                        assertThat(r.stats().drafted()).as("block drafter drafted").isPositive();
                    }
                }
            }
            plainBySource.put(target, plain);
        }
        // the same weights from both files: the same plain tokens, and the GGUF drafted by the HF folder accepts every draft
        for (int p = 0; p < PROMPTS.size(); p++) {
            assertThat(plainBySource.get(c.gguf()).get(p)).as("%s: GGUF vs HF folder, prompt %d", name, p).containsExactly(plainBySource.get(c.hf()).get(p));
        }
        int[] plain = plainBySource.get(c.hf()).getFirst();
        try (Generator g = Generator.open(spec(c.gguf()).withArDrafter(c.hf()))) {
            GenerationResult r = generateResult(g, PROMPTS.getFirst(), Mode.SD, 4);
            assertThat(r.tokens()).containsExactly(plain);
            assertThat(r.stats().accepted()).as("%s: its own weights as drafter, every draft accepted", name).isEqualTo(r.stats().drafted()).isPositive();
        }
        // the random drafters' drafts are (almost) all rejected; drafters that always draft a token the target emits get theirs accepted
        float[] head = lmHead(c.hf());
        int token = tokenItsOwnHeadRowScoresHighest(head, plain);
        Path alwaysMdlm = RandomCheckpoints.mdlmDrafting(dir.resolve("mdlm-always"),
                new RandomCheckpoints.MdlmShape("mdlm-always", c.vocab() + 1, 32, 1, 2, 16, 64), DType.F32, 37, token);
        Path alwaysBlock = RandomCheckpoints.blockDrafterDrafting(dir.resolve("block-always"), blockShape(c.vocab()), DType.F32,
                java.util.Arrays.copyOfRange(head, token * DIM, (token + 1) * DIM));
        for (Path drafter : List.of(alwaysMdlm, alwaysBlock)) {
            try (Generator g = Generator.open(spec(c.gguf()).withDiffusionDrafter(drafter))) {
                for (int gamma : GAMMAS) {
                    GenerationResult r = generateResult(g, PROMPTS.getFirst(), Mode.SPECDIFF, gamma);
                    assertThat(r.tokens()).as("%s: specdiff, %s always drafting %d, γ %d", name, drafter.getFileName(), token, gamma).containsExactly(plain);
                    assertThat(r.stats().accepted()).as("%s: %s's drafts of %d, γ %d, accepted", name, drafter.getFileName(), token, gamma)
                            .isPositive();
                }
            }
        }
    }

    private static final int DIM = 64; // RandomTransformers' tiny shapes

    private static RandomCheckpoints.BlockDrafterShape blockShape(int vocab) {
        return new RandomCheckpoints.BlockDrafterShape(DIM, new int[] {0, 1}, vocab, 512, 1, 4, 96, BLOCK_SIZE);
    }

    /** The target's LM head (its embedding when tied), (V, C) row-major. */
    private static float[] lmHead(Path hf) throws IOException {
        try (VectorKernels kernels = new VectorKernels(1); Transformer t = TransformerLoader.load(hf, new LoadOptions(null, kernels))) {
            assertThat(t.spec().dim()).isEqualTo(DIM);
            return t.weights().lmHead().toFloatArray();
        }
    }

    /**
     * The most frequent token of {@code plain} (the last one aside: a draft there may be cut) whose own head row, taken as the
     * final hidden state, scores it above every other token: what a drafter drafting that row drafts.
     */
    private static int tokenItsOwnHeadRowScoresHighest(float[] head, int[] plain) {
        Map<Integer, Integer> counts = new LinkedHashMap<>();
        for (int i = 0; i < plain.length - 1; i++) counts.merge(plain[i], 1, Integer::sum);
        List<Integer> byCount = new ArrayList<>(counts.keySet());
        byCount.sort((x, y) -> counts.get(y) - counts.get(x));
        int rows = head.length / DIM;
        for (int token : byCount) {
            int best = 0;
            double bestScore = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < rows; j++) {
                double score = 0;
                for (int i = 0; i < DIM; i++) score += (double) head[j * DIM + i] * head[token * DIM + i];
                if (score > bestScore) {
                    bestScore = score;
                    best = j;
                }
            }
            if (best == token) return token;
        }
        throw new AssertionError("no token of " + java.util.Arrays.toString(plain) + " scores highest with its own head row");
    }

    /**
     * The block drafter scores with the target's LM head, not its embedding (a GPT-2 assumption: GPT-2 ties them). Two untied
     * Llama targets that differ only in their LM head, one twice the other: the draft logits of the same block must be exactly
     * twice the other's (powers of two scale float sums exactly); a drafter reading the embedding would give equal ones.
     */
    @Test
    void theBlockDrafterScoresWithAnUntiedTargetsOwnLmHead(@TempDir Path dir) throws IOException {
        RandomTransformers.Shape shape = RandomTransformers.Shape.tiny("llama", 128);
        Path hf = RandomTransformers.of(shape, 41).writeHf(dir.resolve("hf"));
        Path folder = RandomCheckpoints.blockDrafter(dir.resolve("block"), new RandomCheckpoints.BlockDrafterShape(shape.dim(), new int[] {1}, shape.vocab(),
                shape.context(), 1, 4, 96, BLOCK_SIZE), DType.F32, 43);
        try (VectorKernels kernels = new VectorKernels(2); Arena arena = Arena.ofShared();
             Transformer target = TransformerLoader.load(hf, new LoadOptions(null, kernels))) {
            TransformerWeights w = target.weights();
            assertThat(target.spec().tiedOutput()).isFalse();
            float[] head = w.lmHead().toFloatArray();
            for (int i = 0; i < head.length; i++) head[i] *= 2;
            Tensor doubledHead = Tensor.of("lm_head.weight", DType.F32, w.lmHead().shape(), head, arena);
            Transformer doubled = new Transformer(target.spec(), new TransformerWeights(w.tokenEmbedding(), w.positionEmbedding(), w.blocks(),
                    w.finalNorm(), w.finalNormBias(), doubledHead, w.lmHeadBias()), kernels, null, null);
            try (BlockDiffusionDrafter a = BlockDiffusionDrafter.load(folder, target, new LoadOptions(null, kernels));
                 BlockDiffusionDrafter b = BlockDiffusionDrafter.load(folder, doubled, new LoadOptions(null, kernels))) {
                float[][] once = a.newContext().draft(17, 0, 3);
                float[][] twice = b.newContext().draft(17, 0, 3);
                for (int r = 0; r < once.length; r++) {
                    float[] want = once[r].clone();
                    for (int i = 0; i < want.length; i++) want[i] *= 2;
                    assertThat(twice[r]).as("row %d", r).containsExactly(want);
                    assertThat(once[r]).as("row %d is not all zeros", r).isNotEqualTo(new float[once[r].length]);
                }
            }
        }
    }

    /**
     * One family's sizes pad one tokenizer's ids to different row counts (Qwen2.5-0.5B: 151936 rows, -7B: 152064, for 151665
     * ids). A Qwen 2 target padded by 399 rows and a one-layer drafter padded by 271, both with the Qwen 2 vocabulary: the
     * drafter is accepted, greedy {@code sd} gives plain decoding's tokens and sampled {@code sd} completes and reproduces with
     * its seed. A drafter of another tokenizer, or with fewer rows than the tokenizer's ids, is refused naming both models.
     */
    @Test
    void aSameTokenizerDrafterPaddedToOtherRowsIsAccepted(@TempDir Path dir) throws IOException {
        try (GgufFile vocabulary = GgufFile.open(vocabulary("ggml-vocab-qwen2.gguf"))) {
            int ids = ((List<?>) vocabulary.metadata().get("tokenizer.ggml.tokens")).size();
            RandomTransformers.Shape targetShape = RandomTransformers.Shape.tiny("qwen2", ids + 399);
            Path target = RandomTransformers.of(targetShape, 19).writeGguf(dir.resolve("target.gguf"), vocabulary);
            Path drafter = RandomTransformers.of(oneLayer(targetShape, ids + 271), 23).writeGguf(dir.resolve("drafter.gguf"), vocabulary);
            try (Generator g = Generator.open(spec(target).withArDrafter(drafter))) {
                assertThat(g.target().vocabSize()).isEqualTo(ids + 399);
                for (int[] prompt : PROMPTS) {
                    int[] want = generate(g, prompt, Mode.AR, 1);
                    for (int gamma : GAMMAS) {
                        GenerationResult sd = generateResult(g, prompt, Mode.SD, gamma);
                        assertThat(sd.tokens()).as("padded qwen2 pair: sd, γ %d", gamma).containsExactly(want);
                        assertThat(sd.stats().drafted()).as("sd drafted").isPositive();
                    }
                }
                GenerationConfig sampled = GenerationConfig.builder().mode(Mode.SD).maxTokens(TOKENS).stopAtEos(false).gamma(3)
                        .sampling(new SamplingConfig(0.8, 0, 1.0, 7)).build();
                int[] first = g.generate(PROMPTS.getFirst(), sampled, GenerationListener.NONE, new Cancellation()).tokens();
                assertThat(first).as("sampled sd").hasSize(TOKENS);
                assertThat(g.generate(PROMPTS.getFirst(), sampled, GenerationListener.NONE, new Cancellation()).tokens()).as("sampled sd again")
                        .containsExactly(first);
            }
            Path short_ = RandomTransformers.of(oneLayer(targetShape, ids - 10), 23).writeGguf(dir.resolve("short.gguf"), vocabulary);
            assertThatThrownBy(() -> Generator.open(spec(target).withArDrafter(short_)).close())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("autoregressive drafter " + short_ + " has " + (ids - 10) + " embedding rows")
                    .hasMessageContaining("the target " + target + ", has " + ids + " ids");
        }
        try (GgufFile spm = GgufFile.open(vocabulary(SentencePieceConvertTest.VOCAB_FILE))) {
            int ids = ((List<?>) spm.metadata().get("tokenizer.ggml.tokens")).size();
            Path target = dir.resolve("target.gguf");
            Path other = RandomTransformers.of(RandomTransformers.Shape.tiny("llama", ids), 3).writeGguf(dir.resolve("other.gguf"), spm);
            assertThatThrownBy(() -> Generator.open(spec(target).withArDrafter(other)).close())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("the drafter " + other + " uses another tokenizer than the target " + target + ": token 0 is");
        }
    }

    private static RandomTransformers.Shape oneLayer(RandomTransformers.Shape shape, int rows) {
        return new RandomTransformers.Shape(shape.family(), rows, shape.context(), shape.dim(), 1, shape.heads(), shape.kvHeads(), shape.headDim(),
                shape.ffnDim(), shape.ropeTheta(), shape.tied());
    }

    @Test
    void draftersOfAnotherVocabularyAreRefused(@TempDir Path dir) throws IOException {
        Checkpoints llama2 = write(FAMILIES.get("llama2"), dir.resolve("llama2"));
        Path qwen = RandomTransformers.of(RandomTransformers.Shape.tiny("qwen2", 1000), 3).writeGguf(dir.resolve("qwen.gguf"), null);
        assertThatThrownBy(() -> Generator.open(spec(llama2.gguf()).withArDrafter(qwen)).close())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("autoregressive drafter " + qwen).hasMessageContaining("vocabulary of 1000 but the target " + llama2.gguf() + " has " + llama2.vocab())
                .hasMessageContaining("holds no tokenizer");
        Path wideMdlm = RandomCheckpoints.mdlm(dir.resolve("mdlm-wide"), new RandomCheckpoints.MdlmShape("mdlm", llama2.vocab() + 2, 32, 1, 2, 16, 64),
                DType.F32, 5);
        assertThatThrownBy(() -> Generator.open(spec(llama2.gguf()).withDiffusionDrafter(wideMdlm)).close())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("vocabulary of " + (llama2.vocab() + 2)).hasMessageContaining("plus one MASK token");
        Path otherBlock = RandomCheckpoints.blockDrafter(dir.resolve("block-other"), blockShape(1000), DType.F32, 7);
        assertThatThrownBy(() -> Generator.open(spec(llama2.gguf()).withDiffusionDrafter(otherBlock)).close())
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("a vocabulary of 1000 tokens, but the target's has " + llama2.vocab());
    }
}
