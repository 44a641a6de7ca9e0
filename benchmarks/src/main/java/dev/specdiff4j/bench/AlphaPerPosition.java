package dev.specdiff4j.bench;

import dev.specdiff4j.engine.decoding.AutoregressiveDecoder;
import dev.specdiff4j.engine.decoding.AutoregressiveDrafter;
import dev.specdiff4j.engine.decoding.DiffusionDrafter;
import dev.specdiff4j.engine.decoding.Drafter;
import dev.specdiff4j.engine.decoding.DraftingConfig;
import dev.specdiff4j.engine.decoding.SamplingConfig;
import dev.specdiff4j.engine.decoding.TreeCandidates;
import dev.specdiff4j.engine.kernels.VectorKernels;
import dev.specdiff4j.engine.model.Gpt2;
import dev.specdiff4j.engine.model.LoadOptions;
import dev.specdiff4j.engine.model.MaskedDiffusionLm;
import dev.specdiff4j.tokenizer.Tokenizer;
import dev.specdiff4j.tokenizer.Tokenizers;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Per-position acceptance of the demo pair's drafters against the target's own greedy text, with no timing: for every
 * position of the target's greedy continuation of each prompt, the drafters' tree candidates (γ positions, 8 per position)
 * are compared with the target's next γ tokens. Reported per position j: the linear α_j (the top candidate is right given
 * that the top candidates before it were) and the rank coverage (the target's token is among the top k, given that it was
 * among the candidates at every earlier position: what a tree of width k could follow). Then the same at round starts only:
 * linear greedy decoding at γ = DEPTH − 1 is replayed over that text (a round drafts at s, accepts the k leading top
 * candidates that match, and the next round starts at s + k + 1), which is where decoding actually drafts.
 *
 * <p>Usage: {@code java --add-modules jdk.incubator.vector -cp cli/target/specdiff4j.jar dev.specdiff4j.bench.AlphaPerPosition
 * [DEMO_FOLDER [PROMPTS [TOKENS [DEPTH]]]]} (defaults: models/demo, 20 held-out prompts, 128 tokens, depth 6). The diffusion
 * drafter's marginals come from one pass over a block of DEPTH positions, the block a linear draft of γ = DEPTH − 1 denoises.
 */
public final class AlphaPerPosition {
    private static final int WIDTH = 8;

    public static void main(String[] args) throws Exception {
        Path demo = Path.of(args.length > 0 ? args[0] : "models/demo");
        int promptCount = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        int tokens = args.length > 2 ? Integer.parseInt(args[2]) : 128;
        int depth = args.length > 3 ? Integer.parseInt(args[3]) : 6;
        try (VectorKernels kernels = new VectorKernels(2);
             Gpt2 target = Gpt2.load(demo.resolve("target"), new LoadOptions(null, kernels));
             Gpt2 small = Gpt2.load(demo.resolve("ar-drafter"), new LoadOptions(null, kernels));
             MaskedDiffusionLm mdlm = MaskedDiffusionLm.load(demo.resolve("drafter"), new LoadOptions(null, kernels))) {
            Tokenizer tokenizer = Tokenizers.load(demo.resolve("tokenizer.json"));
            List<String> prompts = PromptSet.named("heldout").subList(0, promptCount);
            List<int[]> texts = new ArrayList<>();
            List<Integer> promptLengths = new ArrayList<>();
            for (String p : prompts) {
                int[] ids = tokenizer.encode(p);
                List<Integer> out = new ArrayList<>();
                new AutoregressiveDecoder(target).decode(ids, tokens, SamplingConfig.greedy(), -1, t -> {
                    for (int x : t) out.add(x);
                    return true;
                }, () -> false);
                int[] full = new int[ids.length + out.size()];
                System.arraycopy(ids, 0, full, 0, ids.length);
                for (int i = 0; i < out.size(); i++) full[ids.length + i] = out.get(i);
                texts.add(full);
                promptLengths.add(ids.length);
            }
            System.out.printf(Locale.ROOT, "%d held-out prompts x %d greedy target tokens, depth %d, %d candidates per position%n%n",
                    promptCount, tokens, depth, WIDTH);
            report("specdiff: MDLM drafter, one pass, window " + DraftingConfig.DEFAULT_WINDOW,
                    new DiffusionDrafter(mdlm, target.vocabSize(), 1, DraftingConfig.defaults()), texts, promptLengths, depth);
            report("sd: small GPT-2 drafter", new AutoregressiveDrafter(small), texts, promptLengths, depth);
        }
    }

    private static void report(String name, Drafter drafter, List<int[]> texts, List<Integer> promptLengths, int depth) {
        long[] chainReached = new long[depth];
        long[] chainHit = new long[depth];
        long[] treeReached = new long[depth];
        long[][] rankHits = new long[depth][WIDTH];
        int gamma = Math.max(1, depth - 1);
        long[] roundReached = new long[gamma];
        long[] roundHit = new long[gamma];
        long rounds = 0;
        long committedInRounds = 0;
        try (Drafter.Session session = drafter.open(SamplingConfig.greedy(), 0)) {
            for (int p = 0; p < texts.size(); p++) {
                int[] full = texts.get(p);
                int nextRound = promptLengths.get(p);
                for (int s = promptLengths.get(p); s + depth <= full.length; s++) {
                    int[] committed = java.util.Arrays.copyOf(full, s);
                    TreeCandidates c = session.candidates(committed, depth, WIDTH);
                    if (s == nextRound) {
                        int accepted = 0;
                        while (accepted < gamma && c.tokens()[accepted][0] == full[s + accepted]) accepted++;
                        for (int j = 0; j <= Math.min(accepted, gamma - 1); j++) roundReached[j]++;
                        for (int j = 0; j < accepted; j++) roundHit[j]++;
                        rounds++;
                        committedInRounds += accepted + 1;
                        nextRound = s + accepted + 1;
                    }
                    boolean chain = true;
                    boolean tree = true;
                    for (int j = 0; j < depth; j++) {
                        int truth = full[s + j];
                        int rank = -1;
                        for (int r = 0; r < c.tokens()[j].length; r++) if (c.tokens()[j][r] == truth) rank = r;
                        if (chain) {
                            chainReached[j]++;
                            if (rank == 0) chainHit[j]++;
                            else chain = false;
                        }
                        if (tree) {
                            treeReached[j]++;
                            if (rank >= 0) rankHits[j][rank]++;
                            else tree = false;
                        }
                    }
                }
            }
        }
        System.out.println("### " + name + "\n");
        System.out.println("| position j | linear α_j (reached) | in top 1 | top 2 | top 4 | top 8 (given an earlier top-8 path) |");
        System.out.println("|---|---|---|---|---|---|");
        for (int j = 0; j < depth; j++) {
            long top1 = rankHits[j][0];
            long top2 = top1 + rankHits[j][1];
            long top4 = top2 + rankHits[j][2] + rankHits[j][3];
            long top8 = top4;
            for (int r = 4; r < WIDTH; r++) top8 += rankHits[j][r];
            double n = treeReached[j];
            System.out.printf(Locale.ROOT, "| %d | %.3f (%d) | %.3f | %.3f | %.3f | %.3f (%d) |%n", j + 1,
                    chainReached[j] == 0 ? 0 : chainHit[j] / (double) chainReached[j], chainReached[j], top1 / n, top2 / n, top4 / n, top8 / n,
                    treeReached[j]);
        }
        System.out.println();
        System.out.printf(Locale.ROOT, "At round starts, linear greedy γ = %d: %d rounds, %.3f tokens per round%n%n", gamma, rounds,
                rounds == 0 ? 0 : committedInRounds / (double) rounds);
        System.out.println("| position j | α_j at round starts (reached) |");
        System.out.println("|---|---|");
        for (int j = 0; j < gamma; j++) {
            System.out.printf(Locale.ROOT, "| %d | %.3f (%d) |%n", j + 1, roundReached[j] == 0 ? 0 : roundHit[j] / (double) roundReached[j],
                    roundReached[j]);
        }
        System.out.println();
    }
}
