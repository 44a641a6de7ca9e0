package dev.specdiff4j.bench;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * Plots training logs (the train_log.csv the training scripts write: step, tokens, train_loss, heldout_loss,
 * ...) as loss against training tokens. A resumed run repeats some steps; the last row of a step wins.
 */
public final class LossCurves {
    static {
        System.setProperty("java.awt.headless", "true");
    }

    private LossCurves() {
    }

    /**
     * One curve per log; {@code names} label them; the held-out loss is drawn where present, except for the logs named in
     * {@code noHeldOut} (the MDLM script logs an accuracy in that column, not a loss).
     */
    public static void plot(List<Path> logs, List<String> names, String title, String heldOutLabel, java.util.Set<String> noHeldOut,
                            Path png) throws IOException {
        XYChart chart = new XYChartBuilder().width(900).height(520).title(title).xAxisTitle("training tokens (millions)").yAxisTitle("loss (nats)").build();
        chart.getStyler().setXAxisDecimalPattern("0.0");
        chart.getStyler().setYAxisDecimalPattern("0.0");
        for (int i = 0; i < logs.size(); i++) {
            TreeMap<Long, double[]> rows = new TreeMap<>();
            Path log = logs.get(i);
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            if (lines.isEmpty() || !lines.get(0).startsWith("step,tokens,train_loss,heldout_loss")) {
                throw new IllegalArgumentException(log + " is not a train_log.csv (its header is not step,tokens,train_loss,heldout_loss,...)");
            }
            for (int n = 1; n < lines.size(); n++) {
                String[] f = lines.get(n).split(",", -1);
                if (f.length == 1 && f[0].isBlank()) continue;
                try {
                    if (f[2].isEmpty()) continue;
                    rows.put(Long.parseLong(f[0]), new double[] {Long.parseLong(f[1]) / 1e6, Double.parseDouble(f[2]),
                        f[3].isEmpty() ? Double.NaN : Double.parseDouble(f[3])});
                } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
                    throw new IllegalArgumentException(log + ", line " + (n + 1) + ": not a training-log row: " + lines.get(n));
                }
            }
            List<Double> x = new ArrayList<>();
            List<Double> y = new ArrayList<>();
            List<Double> hx = new ArrayList<>();
            List<Double> hy = new ArrayList<>();
            for (double[] r : rows.values()) {
                x.add(r[0]);
                y.add(r[1]);
                if (!Double.isNaN(r[2])) {
                    hx.add(r[0]);
                    hy.add(r[2]);
                }
            }
            if (!x.isEmpty()) chart.addSeries(names.get(i) + " (training batches)", x, y).setMarker(SeriesMarkers.NONE);
            if (!hx.isEmpty() && !noHeldOut.contains(names.get(i))) chart.addSeries(names.get(i) + " (" + heldOutLabel + ")", hx, hy).setMarker(SeriesMarkers.CIRCLE);
        }
        BitmapEncoder.saveBitmapWithDPI(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG, 110);
    }
}
