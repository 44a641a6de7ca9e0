package dev.specdiff4j.engine.decoding;

/** Pearson's chi-square goodness-of-fit test, with categories expected fewer than 10 times pooled. */
final class ChiSquare {
    private ChiSquare() {
    }

    static double pValue(int[] counts, double[] expectedP, int trials) {
        double statistic = 0;
        int categories = 0;
        double pooledExpected = 0;
        long pooledObserved = 0;
        for (int i = 0; i < counts.length; i++) {
            double e = expectedP[i] * trials;
            if (e >= 10) {
                statistic += (counts[i] - e) * (counts[i] - e) / e;
                categories++;
            } else {
                pooledExpected += e;
                pooledObserved += counts[i];
            }
        }
        if (pooledExpected > 0) {
            statistic += (pooledObserved - pooledExpected) * (pooledObserved - pooledExpected) / Math.max(pooledExpected, 1e-9);
            categories++;
        }
        return upperRegularizedGamma((categories - 1) / 2.0, statistic / 2);
    }

    /** Q(a, x) = Γ(a, x)/Γ(a), by series for x < a + 1 and by continued fraction otherwise (Numerical Recipes). */
    static double upperRegularizedGamma(double a, double x) {
        if (x <= 0) return 1;
        if (x < a + 1) {
            double sum = 1 / a;
            double term = sum;
            for (int n = 1; n < 10_000; n++) {
                term *= x / (a + n);
                sum += term;
                if (Math.abs(term) < Math.abs(sum) * 1e-15) break;
            }
            return 1 - sum * Math.exp(-x + a * Math.log(x) - logGamma(a));
        }
        double b = x + 1 - a;
        double c = 1 / 1e-300;
        double d = 1 / b;
        double h = d;
        for (int i = 1; i < 10_000; i++) {
            double an = -i * (i - a);
            b += 2;
            d = an * d + b;
            if (Math.abs(d) < 1e-300) d = 1e-300;
            c = b + an / c;
            if (Math.abs(c) < 1e-300) c = 1e-300;
            d = 1 / d;
            double delta = d * c;
            h *= delta;
            if (Math.abs(delta - 1) < 1e-15) break;
        }
        return Math.exp(-x + a * Math.log(x) - logGamma(a)) * h;
    }

    /** Lanczos approximation. */
    static double logGamma(double x) {
        double[] g = {76.18009172947146, -86.50532032941677, 24.01409824083091, -1.231739572450155, 0.1208650973866179e-2, -0.5395239384953e-5};
        double y = x;
        double tmp = x + 5.5;
        tmp -= (x + 0.5) * Math.log(tmp);
        double ser = 1.000000000190015;
        for (double c : g) ser += c / ++y;
        return -tmp + Math.log(2.5066282746310005 * ser / x);
    }
}
