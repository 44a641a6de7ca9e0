package dev.specdiff4j.engine.model;

import dev.specdiff4j.engine.kernels.Kernels;
import dev.specdiff4j.engine.kernels.ReferenceKernels;
import dev.specdiff4j.engine.kernels.VectorKernels;
import dev.specdiff4j.engine.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Token-tree verification is batch invariant: every tree row's logits equal, bit for bit, the logits of its root-to-node path
 * appended linearly to the same cache (computed all at once or on demand in any order), and after {@link CausalLanguageModel.Session#keepTreePath} the cache continues exactly
 * like one that took the path linearly. Random trees of awkward sizes, several prefixes, vector kernels (native indexed
 * attention) and reference kernels (the interface's gathering default).
 */
class TreeVerificationTest {
    private static final VectorKernels VECTOR = new VectorKernels(2);

    @AfterAll
    static void close() {
        VECTOR.close();
    }

    /** A random prefix-closed tree: node 0 follows the cache, each later node a random earlier one. */
    static int[] randomParents(Random r, int nodes) {
        int[] parents = new int[nodes];
        parents[0] = -1;
        for (int i = 1; i < nodes; i++) parents[i] = r.nextInt(i);
        return parents;
    }

    static int[] path(int[] parents, int node) {
        List<Integer> p = new ArrayList<>();
        for (int n = node; n >= 0; n = parents[n]) p.addFirst(n);
        return p.stream().mapToInt(Integer::intValue).toArray();
    }

    private static void checkTrees(Kernels kernels) throws IOException {
        try (Gpt2 model = Gpt2.load(Fixtures.folder("gpt2-tiny"), new LoadOptions(null, kernels))) {
            Random r = new Random(17);
            for (int trial = 0; trial < 12; trial++) {
                int[] prefix = new int[1 + r.nextInt(20)];
                for (int i = 0; i < prefix.length; i++) prefix[i] = r.nextInt(model.vocabSize());
                int nodes = 1 + r.nextInt(trial < 6 ? 7 : 23);
                int[] parents = randomParents(r, nodes);
                int[] tokens = new int[nodes];
                for (int i = 0; i < nodes; i++) tokens[i] = r.nextInt(model.vocabSize());
                try (CausalLanguageModel.Session tree = model.newSession()) {
                    tree.forward(prefix, 0);
                    float[][] rows = tree.forwardTree(tokens, parents);
                    assertThat(tree.length()).isEqualTo(prefix.length + nodes);
                    for (int node = 0; node < nodes; node++) {
                        int[] path = path(parents, node);
                        int[] pathTokens = new int[path.length];
                        for (int i = 0; i < path.length; i++) pathTokens[i] = tokens[path[i]];
                        try (CausalLanguageModel.Session linear = model.newSession()) {
                            linear.forward(prefix, 0);
                            float[] expected = linear.forwardLast(pathTokens);
                            assertThat(rows[node]).as("%s, trial %d, node %d of %d at depth %d", kernels.name(), trial, node, nodes,
                                    path.length - 1).containsExactly(expected);
                        }
                    }
                    // computed on demand, in another order: the same bits
                    try (CausalLanguageModel.Session lazy = model.newSession()) {
                        lazy.forward(prefix, 0);
                        CausalLanguageModel.TreeLogits logits = lazy.forwardTreeLazily(tokens, parents);
                        for (int node = nodes - 1; node >= 0; node -= 2) {
                            assertThat(logits.row(node)).as("%s, trial %d, node %d on demand", kernels.name(), trial, node).containsExactly(rows[node]);
                        }
                        for (int node = 0; node < nodes; node++) assertThat(logits.row(node)).containsExactly(rows[node]);
                    }
                    // keep the path to a random node and continue: the cache must be the linear one
                    int[] kept = path(parents, r.nextInt(nodes));
                    tree.keepTreePath(prefix.length, kept);
                    assertThat(tree.length()).isEqualTo(prefix.length + kept.length);
                    int[] next = {r.nextInt(model.vocabSize()), r.nextInt(model.vocabSize())};
                    float[][] after = tree.forward(next);
                    try (CausalLanguageModel.Session linear = model.newSession()) {
                        linear.forward(prefix, 0);
                        int[] keptTokens = new int[kept.length];
                        for (int i = 0; i < kept.length; i++) keptTokens[i] = tokens[kept[i]];
                        linear.forward(keptTokens, 0);
                        float[][] expected = linear.forward(next);
                        for (int j = 0; j < next.length; j++) {
                            assertThat(after[j]).as("%s, trial %d, after keeping a path of %d", kernels.name(), trial, kept.length)
                                    .containsExactly(expected[j]);
                        }
                    }
                }
            }
        }
    }

    @Test
    void treeRowsEqualTheirLinearPathsWithVectorKernels() throws IOException {
        checkTrees(VECTOR);
    }

    @Test
    void treeRowsEqualTheirLinearPathsWithReferenceKernels() throws IOException {
        checkTrees(new ReferenceKernels());
    }

    @Test
    void malformedTreesAreRejectedWithAClearMessage() throws IOException {
        try (Gpt2 model = Gpt2.load(Fixtures.folder("gpt2-tiny"), new LoadOptions(null, VECTOR));
             CausalLanguageModel.Session s = model.newSession()) {
            s.forward(new int[] {1, 2, 3}, 0);
            assertThatThrownBy(() -> s.forwardTree(new int[] {4, 5}, new int[] {-1, 1})).hasMessageContaining("parent must come before");
            assertThatThrownBy(() -> s.forwardTree(new int[] {4, 5}, new int[] {-1})).hasMessageContaining("one parent per node");
            assertThatThrownBy(() -> s.forwardTree(new int[] {4, 99999}, new int[] {-1, 0})).hasMessageContaining("outside the vocabulary");
            assertThat(s.length()).isEqualTo(3);
            s.forwardTree(new int[] {4, 5, 6}, new int[] {-1, 0, 0});
            assertThatThrownBy(() -> s.keepTreePath(3, new int[] {0, 2, 1})).hasMessageContaining("ascending");
        }
    }
}
