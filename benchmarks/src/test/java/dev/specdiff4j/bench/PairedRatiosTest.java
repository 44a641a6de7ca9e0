package dev.specdiff4j.bench;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PairedRatiosTest {
    @Test
    void orderStatisticsMatchThePublishedTableForTheMedian() {
        // 95 % intervals for the median (Conover, table A3 / any binomial table): n = 6 → (x1, x6), n = 10 → (x2, x9),
        // n = 20 → (x6, x15), n = 50 → (x18, x33); n = 5 has none (P = 1/32 > 0.025 already for min–max)
        assertThat(PairedRatios.orderStatistic(5, 0.95)).isZero();
        assertThat(PairedRatios.orderStatistic(6, 0.95)).isEqualTo(1);
        assertThat(PairedRatios.orderStatistic(10, 0.95)).isEqualTo(2);
        assertThat(PairedRatios.orderStatistic(20, 0.95)).isEqualTo(6);
        assertThat(PairedRatios.orderStatistic(50, 0.95)).isEqualTo(18);
    }

    @Test
    void medianAndIntervalOfTheRatiosNotOfTheRates() {
        PairedRatios r = new PairedRatios();
        double[][] pairs = {{110, 100}, {90, 100}, {240, 200}, {100, 100}, {130, 100}, {105, 100}, {300, 250}, {99, 90}, {120, 100}, {80, 100}};
        for (double[] p : pairs) r.add(p[0], p[1]);
        // ratios sorted: 0.8, 0.9, 1.0, 1.05, 1.1, 1.1, 1.2, 1.2, 1.2, 1.3
        assertThat(r.median()).isEqualTo(1.1);
        assertThat(r.lower()).isEqualTo(0.9);
        assertThat(r.upper()).isEqualTo(1.2);
        assertThat(r.format()).isEqualTo("1.10× [0.90–1.20]");
        assertThat(r.compareTo(1.0)).isZero();
        assertThat(r.compareTo(0.85)).isEqualTo(1);
        assertThat(r.compareTo(1.25)).isEqualTo(-1);
    }

    @Test
    void tooFewPairsSayItInsteadOfShowingMinMax() {
        PairedRatios r = new PairedRatios();
        for (int i = 0; i < 5; i++) r.add(100 + i, 100);
        assertThat(r.lower()).isNaN();
        assertThat(r.format()).isEqualTo("1.02× [n=5, no 95% CI]");
        assertThat(r.compareTo(0.5)).isZero();
    }

    @Test
    void aFailedMeasurementIsRefused() {
        PairedRatios r = new PairedRatios();
        assertThatThrownBy(() -> r.add(0, 100)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> r.add(Double.NaN, 100)).isInstanceOf(IllegalArgumentException.class);
    }
}
