package dev.specdiff4j.engine.decoding;

import dev.specdiff4j.engine.model.CausalLanguageModel;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;

/**
 * The statistical check of a sampling-mode acceptance policy: the first {@code k} tokens of {@code trials} seeded speculative
 * runs against the target's exact distribution over them, enumerated (a small top-k keeps the outcomes few). A policy
 * passes when the total-variation distance of the runs' empirical distribution from the exact one stays under
 * {@link #bound()}, which a lossless policy exceeds with probability at most {@value #FALSE_ALARM}.
 *
 * <p>The bound (Bretagnolle–Huber–Carol): with K outcomes of positive exact probability p and the empirical p̂ of N
 * independent runs, TV(p̂, p) = max over the 2^K sets A of outcomes of p̂(A) − p(A) (a lossless policy never leaves p's
 * support). For each A, p̂(A) is the mean of N indicators of mean p(A), so Hoeffding gives P(p̂(A) − p(A) ≥ ε) ≤
 * exp(−2Nε²), and the union over the sets P(TV ≥ ε) ≤ 2^K exp(−2Nε²). Setting that to δ gives
 * ε = sqrt((K ln 2 + ln(1/δ)) / 2N). It holds for any p and any N, with no large-sample approximation. The runs are
 * seeded (1000 + trial), so a build always gets the same verdict; δ is the risk per row of a fresh choice of seeds.
 */
final class DistributionCheck {
    /** The probability that a lossless policy fails the check. */
    static final double FALSE_ALARM = 1e-4;

    private final CausalLanguageModel target;
    private final int[] prompt;
    private final SamplingConfig sampling;
    private final int k;
    private final int trials;
    private final Map<List<Integer>, Double> exact = new HashMap<>();

    DistributionCheck(CausalLanguageModel target, int[] prompt, SamplingConfig sampling, int k, int trials) {
        this.target = target;
        this.prompt = prompt;
        this.sampling = sampling;
        this.k = k;
        this.trials = trials;
        enumerate(new ArrayList<>(), 1.0);
    }

    Map<List<Integer>, Double> exact() {
        return exact;
    }

    int trials() {
        return trials;
    }

    /** The target's exact distribution over its first k tokens. */
    private void enumerate(List<Integer> prefix, double probability) {
        if (prefix.size() == k) {
            exact.put(List.copyOf(prefix), probability);
            return;
        }
        int[] seq = new int[prompt.length + prefix.size()];
        System.arraycopy(prompt, 0, seq, 0, prompt.length);
        for (int i = 0; i < prefix.size(); i++) seq[prompt.length + i] = prefix.get(i);
        double[] p;
        try (CausalLanguageModel.Session s = target.newSession()) {
            p = Probabilities.of(s.forwardLast(seq), target.vocabSize(), sampling);
        }
        for (int v = 0; v < p.length; v++) {
            if (p[v] == 0) continue;
            prefix.add(v);
            enumerate(prefix, probability * p[v]);
            prefix.removeLast();
        }
    }

    /** TV between the speculative runs' first k tokens and the exact distribution; a non-null {@code rule} replaces the policy's. */
    double totalVariation(Drafter drafter, AcceptancePolicy policy, Acceptance.Rule rule, int gamma) {
        return totalVariation(drafter, policy, rule, null, gamma, 0, rule == null ? policy.toString() : "deliberately broken rule: " + rule);
    }

    /** As above with a token tree of {@code tree} nodes (STRICT); a non-null {@code treeRule} replaces the policy's. */
    double totalVariationTree(Drafter drafter, TreeAcceptance.Rule treeRule, int gamma, int tree) {
        return totalVariation(drafter, AcceptancePolicy.STRICT, null, treeRule, gamma, tree,
                (treeRule == null ? "STRICT" : "deliberately broken rule: " + treeRule) + ", tree of " + tree);
    }

    private double totalVariation(Drafter drafter, AcceptancePolicy policy, Acceptance.Rule rule, TreeAcceptance.Rule treeRule, int gamma,
                                  int tree, String what) {
        Map<List<Integer>, Integer> counts = new ConcurrentHashMap<>();
        IntStream.range(0, trials).parallel().forEach(trial -> {
            SamplingConfig seeded = new SamplingConfig(sampling.temperature(), sampling.topK(), sampling.topP(), 1000L + trial);
            SpeculativeSettings settings = new SpeculativeSettings(gamma, gamma, gamma, policy, seeded, false, tree);
            List<Integer> out = new ArrayList<>();
            new SpeculativeDecoder(target, drafter, null, rule, treeRule).decode(prompt, k, settings, -1, t -> {
                for (int x : t) out.add(x);
                return true;
            }, () -> false);
            counts.merge(out, 1, Integer::sum);
        });
        double tv = 0;
        for (Map.Entry<List<Integer>, Double> e : exact.entrySet()) tv += Math.abs(counts.getOrDefault(e.getKey(), 0) / (double) trials - e.getValue());
        for (Map.Entry<List<Integer>, Integer> e : counts.entrySet()) if (!exact.containsKey(e.getKey())) tv += e.getValue() / (double) trials;
        System.out.printf("TV %.4f (bound %.4f, %d trials): %s, %s, γ=%d%s%n", tv / 2, bound(), trials, drafter.describe(),
                what, gamma, tv / 2 < bound() ? "" : " (rejected)");
        return tv / 2;
    }

    double bound() {
        return Math.sqrt((exact.size() * Math.log(2) + Math.log(1 / FALSE_ALARM)) / (2.0 * trials));
    }
}
