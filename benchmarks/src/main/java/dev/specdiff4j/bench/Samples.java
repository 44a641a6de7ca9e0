package dev.specdiff4j.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** Repeated measurements of one quantity: median and min–max spread (machines are noisy; means mislead). */
public final class Samples {
    private final List<Double> values = new ArrayList<>();

    /** Samples holding {@code values}. */
    public static Samples of(double... values) {
        Samples s = new Samples();
        for (double v : values) s.add(v);
        return s;
    }

    public void add(double v) {
        values.add(v);
    }

    public int count() {
        return values.size();
    }

    public double median() {
        if (values.isEmpty()) return Double.NaN;
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    public double min() {
        return values.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
    }

    public double max() {
        return values.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
    }

    public double[] values() {
        return values.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** "median (min–max)". */
    public String format(String pattern) {
        return String.format(Locale.ROOT, pattern + " (" + pattern + "–" + pattern + ")", median(), min(), max());
    }

    @Override
    public String toString() {
        return Arrays.toString(values());
    }
}
