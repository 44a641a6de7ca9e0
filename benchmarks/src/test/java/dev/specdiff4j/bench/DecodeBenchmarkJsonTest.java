package dev.specdiff4j.bench;

import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.json.Json;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code bench decode} runs each dtype in a child JVM and reads its results back from JSON: nothing may be lost on the way. */
class DecodeBenchmarkJsonTest {

    private static DecodeBenchmark.PassTimes pass(double base, boolean withLlama) {
        DecodeBenchmark.PassTimes t = DecodeBenchmark.PassTimes.empty();
        for (int i = 0; i < 7; i++) t.add(base + i * 0.37, withLlama ? base * 0.8 + i * 0.11 : Double.NaN);
        return t;
    }

    private static DecodeBenchmark.Result result(DType dtype, boolean withLlama) {
        Samples ours = new Samples();
        Samples ffm = new Samples();
        Samples jll = new Samples();
        PairedRatios oursOverFfm = new PairedRatios();
        PairedRatios oursOverJll = new PairedRatios();
        for (int i = 0; i < 6; i++) {
            double a = 40.1 + i * 1.3;
            ours.add(a);
            if (withLlama) {
                double b = 90.7 - i * 2.9;
                double c = 77.3 + i * 0.3;
                ffm.add(b);
                jll.add(c);
                oursOverFfm.add(a, b);
                oursOverJll.add(a, c);
            }
        }
        return new DecodeBenchmark.Result(dtype, ours, ffm, oursOverFfm, jll, oursOverJll, pass(13.1, withLlama), pass(19.3, withLlama),
                pass(48.9, withLlama), pass(1117.4, withLlama), withLlama ? "zen4" : null);
    }

    private static List<DecodeBenchmark.Result> roundTrip(List<DecodeBenchmark.Result> results) {
        List<?> parsed = (List<?>) Json.parse(Json.writePretty(DecodeBenchmark.json(results)));
        @SuppressWarnings("unchecked")
        List<DecodeBenchmark.Result> back = parsed.stream().map(m -> DecodeBenchmark.fromJson((Map<String, Object>) m)).toList();
        return back;
    }

    @Test
    void resultsReadBackFromJsonGiveTheSameTables() {
        List<DecodeBenchmark.Result> results = List.of(result(DType.F32, true), result(DType.Q4_K, true));
        List<DecodeBenchmark.Result> back = roundTrip(results);
        assertThat(DecodeBenchmark.table(back)).isEqualTo(DecodeBenchmark.table(results)).contains("| q4_k |", "×");
        assertThat(DecodeBenchmark.passTable(back)).isEqualTo(DecodeBenchmark.passTable(results));
        assertThat(back.get(1).ffmVariant()).isEqualTo("zen4");
        assertThat(back.get(1).pass16().oursOverLlama().values()).containsExactly(results.get(1).pass16().oursOverLlama().values());
        assertThat(back.get(0).oursOverJavaLlama().values()).containsExactly(results.get(0).oursOverJavaLlama().values());
    }

    @Test
    void resultsWithoutComparatorsStayWithoutThem() {
        List<DecodeBenchmark.Result> back = roundTrip(List.of(result(DType.BF16, false)));
        assertThat(back.getFirst().ffm().count()).isZero();
        assertThat(back.getFirst().javaLlama().count()).isZero();
        assertThat(back.getFirst().pass4().llamaMs().count()).isZero();
        assertThat(back.getFirst().pass4().oursMs().values()).containsExactly(pass(19.3, false).oursMs().values());
        assertThat(DecodeBenchmark.passTable(back)).contains("| bf16 |", "/ –");
    }
}
