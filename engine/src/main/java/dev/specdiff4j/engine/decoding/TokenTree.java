package dev.specdiff4j.engine.decoding;

import java.util.Arrays;
import java.util.PriorityQueue;

/**
 * A prefix-closed tree of draft tokens for one verification pass. Node 0 is the root, the last committed token; every other
 * node i holds {@code tokens[i]}, follows {@code parents[i]} (< i) and sits {@code depths[i]} positions after the root.
 * Siblings hold distinct tokens.
 *
 * <p>{@link #build} grows it best first (Sequoia / DDTree style): a node's value is the estimated probability that
 * verification reaches and accepts it, the product of the estimated acceptance probabilities along its path, and the tree
 * takes the nodes of highest value until the budget is spent. The sum of the values of the nodes taken is the expected
 * number of accepted tokens; {@code expected[b]} records it after the first b nodes, so a cost model can cut the tree
 * shorter ({@link #prefix}) without building it again: any prefix of the node order is itself prefix-closed.
 */
public record TokenTree(int[] tokens, int[] parents, int[] depths, double[] expected) {
    /** Non-root nodes. */
    public int budget() {
        return tokens.length - 1;
    }

    /** The first {@code nodes} non-root nodes (a prefix-closed subtree). */
    public TokenTree prefix(int nodes) {
        int n = Math.min(nodes, budget()) + 1;
        return new TokenTree(Arrays.copyOf(tokens, n), Arrays.copyOf(parents, n), Arrays.copyOf(depths, n), Arrays.copyOf(expected, n));
    }

    /** A chain: the linear draft as a tree (for drafters without candidates, and for tests). */
    static TokenTree chain(int root, int[] draft) {
        int n = draft.length + 1;
        int[] tokens = new int[n];
        int[] parents = new int[n];
        int[] depths = new int[n];
        tokens[0] = root;
        parents[0] = -1;
        for (int i = 1; i < n; i++) {
            tokens[i] = draft[i - 1];
            parents[i] = i - 1;
            depths[i] = i;
        }
        return new TokenTree(tokens, parents, depths, new double[n]);
    }

    /** One candidate in the frontier: the rank-th candidate at {@code depth} under {@code parent}. */
    private record Frontier(double value, int parent, int depth, int rank) {
    }

    /**
     * Grows a tree of at most {@code budget} non-root nodes from the candidates, best first by estimated value.
     *
     * @param root     the last committed token
     * @param estimate the estimated acceptance probability of each candidate given its parent was accepted
     */
    public static TokenTree build(int root, TreeCandidates candidates, int budget, AcceptanceEstimate estimate) {
        int capacity = budget + 1;
        int[] tokens = new int[capacity];
        int[] parents = new int[capacity];
        int[] depths = new int[capacity];
        double[] value = new double[capacity];
        double[] expected = new double[capacity];
        tokens[0] = root;
        parents[0] = -1;
        value[0] = 1;
        int size = 1;
        PriorityQueue<Frontier> frontier = new PriorityQueue<>((a, b) -> {
            int c = Double.compare(b.value, a.value);
            if (c != 0) return c;
            c = Integer.compare(a.depth, b.depth);
            return c != 0 ? c : Integer.compare(a.rank, b.rank);
        });
        if (candidates.depth() > 0) frontier.add(new Frontier(estimate.of(candidates, 0, 0), 0, 1, 0));
        while (size < capacity && !frontier.isEmpty()) {
            Frontier f = frontier.poll();
            int j = f.depth - 1;
            int node = size++;
            tokens[node] = candidates.tokens()[j][f.rank];
            parents[node] = f.parent;
            depths[node] = f.depth;
            value[node] = f.value;
            expected[node] = expected[node - 1] + f.value;
            // its next sibling and its first child: both worth no more than it, so the order stays best first
            if (f.rank + 1 < candidates.tokens()[j].length) {
                frontier.add(new Frontier(value[f.parent] * estimate.of(candidates, j, f.rank + 1), f.parent, f.depth, f.rank + 1));
            }
            if (f.depth < candidates.depth()) {
                frontier.add(new Frontier(f.value * estimate.of(candidates, j + 1, 0), node, f.depth + 1, 0));
            }
        }
        return new TokenTree(Arrays.copyOf(tokens, size), Arrays.copyOf(parents, size), Arrays.copyOf(depths, size),
                Arrays.copyOf(expected, size));
    }

    /** The children of {@code node}, in node order. */
    int[] children(int node) {
        int count = 0;
        for (int i = node + 1; i < tokens.length; i++) if (parents[i] == node) count++;
        int[] c = new int[count];
        count = 0;
        for (int i = node + 1; i < tokens.length; i++) if (parents[i] == node) c[count++] = i;
        return c;
    }
}
