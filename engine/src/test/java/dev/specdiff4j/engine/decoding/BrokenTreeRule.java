package dev.specdiff4j.engine.decoding;

/** Deliberately wrong tree acceptance rules, plausible bugs in {@link TreeAcceptance}: the statistical test must reject them. */
enum BrokenTreeRule implements TreeAcceptance.Rule {
    /** Tries each sibling with its plain p(x), forgetting that rejected siblings took their mass out of the residual. */
    SIBLINGS_NOT_RENORMALISED("accept each sibling with p(x), not r(x) / Σr after the rejected ones") {
        @Override
        public TreeAcceptance.Outcome decide(TokenTree tree, dev.specdiff4j.engine.model.CausalLanguageModel.TreeLogits targetRows, int vocab, SamplingConfig sampling, Sampler random) {
            return walk(tree, targetRows, vocab, sampling, random, false, true);
        }
    },
    /** After every sibling was rejected, draws from p instead of from p without the rejected candidates. */
    RESIDUAL_KEEPS_REJECTED("after rejecting every sibling, draw from p instead of the residual") {
        @Override
        public TreeAcceptance.Outcome decide(TokenTree tree, dev.specdiff4j.engine.model.CausalLanguageModel.TreeLogits targetRows, int vocab, SamplingConfig sampling, Sampler random) {
            return walk(tree, targetRows, vocab, sampling, random, true, false);
        }
    };

    private final String description;

    BrokenTreeRule(String description) {
        this.description = description;
    }

    @Override
    public String toString() {
        return description;
    }

    private static TreeAcceptance.Outcome walk(TokenTree tree, dev.specdiff4j.engine.model.CausalLanguageModel.TreeLogits targetRows, int vocab, SamplingConfig sampling, Sampler random,
                                               boolean renormalise, boolean zeroRejected) {
        int[] path = new int[TreeAcceptance.maxDepth(tree) + 1];
        int steps = 0;
        int node = 0;
        walk:
        while (true) {
            double[] p = Probabilities.of(targetRows.row(node), vocab, sampling);
            double[] r = p.clone();
            double mass = 1;
            for (int child : tree.children(node)) {
                int x = tree.tokens()[child];
                if (random.uniform() * (renormalise ? mass : 1) < r[x]) {
                    path[++steps] = child;
                    node = child;
                    continue walk;
                }
                mass -= r[x];
                r[x] = 0;
            }
            double[] from = zeroRejected ? r : p;
            double sum = 0;
            for (double v : from) sum += v;
            for (int v = 0; v < from.length; v++) from[v] /= sum;
            return new TreeAcceptance.Outcome(java.util.Arrays.copyOf(path, steps + 1), random.draw(from));
        }
    }
}
