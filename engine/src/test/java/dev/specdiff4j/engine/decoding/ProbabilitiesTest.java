package dev.specdiff4j.engine.decoding;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

class ProbabilitiesTest {
    /** The rule written the obvious way: sort every index by (probability descending, index ascending), keep the first k. */
    private static double[] topKBySorting(double[] p, int k) {
        Integer[] order = IntStream.range(0, p.length).filter(i -> p[i] > 0).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.<Integer>comparingDouble(i -> -p[i]).thenComparingInt(i -> i));
        double[] out = new double[p.length];
        for (int j = 0; j < Math.min(k, order.length); j++) out[order[j]] = p[order[j]];
        double mass = 0;
        for (double v : out) mass += v; // in index order, as the engine sums, so that the quotients agree bit for bit
        for (int i = 0; i < out.length; i++) out[i] /= mass;
        return out;
    }

    @Test
    void topKKeepsWhatSortingKeepsWithTiesToTheLowerIndex() {
        Random random = new Random(7);
        for (int trial = 0; trial < 500; trial++) {
            int vocab = 1 + random.nextInt(300);
            double[] p = new double[vocab];
            // few distinct values so that ties at the cut are common; some zeros, which are never kept
            for (int i = 0; i < vocab; i++) p[i] = random.nextInt(6) / 5.0;
            if (Arrays.stream(p).sum() == 0) p[random.nextInt(vocab)] = 1;
            int k = 1 + random.nextInt(vocab + 2);
            double[] expected = topKBySorting(p, k);
            double[] actual = p.clone();
            Probabilities.keepTopK(actual, k);
            assertThat(actual).as("vocab %d, k %d, p %s", vocab, k, Arrays.toString(p)).containsExactly(expected);
        }
    }

    @Test
    void topKOfTiedValuesKeepsTheLowestIndices() {
        double[] p = {0.1, 0.2, 0.2, 0.2, 0.2, 0.1};
        Probabilities.keepTopK(p, 2);
        assertThat(p).containsExactly(0, 0.5, 0.5, 0, 0, 0);
    }
}
