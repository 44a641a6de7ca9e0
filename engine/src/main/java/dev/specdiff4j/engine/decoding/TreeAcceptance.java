package dev.specdiff4j.engine.decoding;

import dev.specdiff4j.engine.model.CausalLanguageModel;

/**
 * Decides which path of a token tree the target accepts (docs/ALGORITHM.md, "Token trees"), given the target's logits for
 * every node of one tree pass. Walks down from the root: at each node the target's row decides among the node's children,
 * and the walk ends at a node where it takes none of them, with the token the target adds there.
 *
 * <ul>
 * <li>GREEDY: move to the child whose token is the target's argmax; if none, add the argmax. Output = plain greedy.</li>
 * <li>STRICT (multi-candidate speculative sampling, SpecInfer-style recursive rejection over siblings with each candidate a
 * point mass): with r = p, try the children in order, accepting child x with probability r(x) / Σr; on rejection set
 * r(x) = 0. When every child is rejected, draw from r renormalised. Each token then comes out with probability exactly
 * p(x): a candidate is taken with probability p(x), and a non-candidate with the remaining mass times its share of it.
 * Lossless for any candidates chosen without looking at the target's randomness.</li>
 * </ul>
 */
final class TreeAcceptance {
    /**
     * @param path the nodes verification stood on, root (0) first; the accepted tokens are those of path[1..]
     * @param next the token the target adds after the last of them
     */
    record Outcome(int[] path, int next) {
        int accepted() {
            return path.length - 1;
        }
    }

    /** A tree acceptance rule; tests substitute deliberately broken ones to show the statistical test catches them. */
    @FunctionalInterface
    interface Rule {
        Outcome decide(TokenTree tree, CausalLanguageModel.TreeLogits targetRows, int vocab, SamplingConfig sampling, Sampler random);
    }

    static Rule of(AcceptancePolicy policy) {
        return switch (policy) {
            case GREEDY -> TreeAcceptance::greedy;
            case STRICT -> TreeAcceptance::strict;
            case MARGINAL -> throw new IllegalArgumentException(
                    "token trees verify with greedy or strict acceptance; marginal acceptance needs candidates drawn from the drafter's rows");
        };
    }

    private TreeAcceptance() {
    }

    static Outcome greedy(TokenTree tree, CausalLanguageModel.TreeLogits targetRows, int vocab, SamplingConfig sampling, Sampler random) {
        int[] path = new int[maxDepth(tree) + 1];
        int steps = 0;
        int node = 0;
        while (true) {
            int best = Probabilities.argmax(targetRows.row(node), vocab);
            int child = childWithToken(tree, node, best);
            if (child < 0) return new Outcome(java.util.Arrays.copyOf(path, steps + 1), best);
            path[++steps] = child;
            node = child;
        }
    }

    static Outcome strict(TokenTree tree, CausalLanguageModel.TreeLogits targetRows, int vocab, SamplingConfig sampling, Sampler random) {
        int[] path = new int[maxDepth(tree) + 1];
        int steps = 0;
        int node = 0;
        walk:
        while (true) {
            double[] r = Probabilities.of(targetRows.row(node), vocab, sampling);
            double mass = 1;
            for (int child : tree.children(node)) {
                int x = tree.tokens()[child];
                if (random.uniform() * mass < r[x]) {
                    path[++steps] = child;
                    node = child;
                    continue walk;
                }
                mass -= r[x];
                r[x] = 0;
            }
            double sum = 0;
            for (double v : r) sum += v;
            int next;
            if (sum > 1e-12) {
                for (int v = 0; v < r.length; v++) r[v] /= sum;
                next = random.draw(r);
            } else {
                next = random.draw(Probabilities.of(targetRows.row(node), vocab, sampling)); // rounding left no mass
            }
            return new Outcome(java.util.Arrays.copyOf(path, steps + 1), next);
        }
    }

    static int maxDepth(TokenTree tree) {
        int d = 0;
        for (int x : tree.depths()) d = Math.max(d, x);
        return d;
    }

    static int childWithToken(TokenTree tree, int node, int token) {
        for (int i = node + 1; i < tree.tokens().length; i++) {
            if (tree.parents()[i] == node && tree.tokens()[i] == token) return i;
        }
        return -1;
    }
}
