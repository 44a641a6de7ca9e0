package dev.specdiff4j.bench.cli;

import dev.specdiff4j.bench.KernelAb;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BenchAbTest {
    @Test
    void parsesVariantsTheirPropertiesAndClassPaths() {
        List<KernelAb.Variant> v = BenchAb.parse(List.of("base", "big=specdiff4j.taskBytes=262144,specdiff4j.f16ShortRow=0", "old"),
                List.of("old=a.jar,b.jar"));
        assertThat(v).extracting(KernelAb.Variant::name).containsExactly("base", "big", "old");
        assertThat(v.get(0).properties()).isEmpty();
        assertThat(v.get(0).classpath()).isNull();
        assertThat(v.get(1).properties()).isEqualTo(Map.of("specdiff4j.taskBytes", "262144", "specdiff4j.f16ShortRow", "0"));
        assertThat(v.get(2).classpath()).containsExactly(Path.of("a.jar"), Path.of("b.jar"));
    }

    @Test
    void refusesMalformedVariants() {
        assertThatThrownBy(() -> BenchAb.parse(List.of("a=specdiff4j.taskBytes"), List.of())).hasMessageContaining("PROPERTY=VALUE");
        assertThatThrownBy(() -> BenchAb.parse(List.of("a", "a"), List.of())).hasMessageContaining("two variants are named a");
        assertThatThrownBy(() -> BenchAb.parse(List.of("a", "b"), List.of("c=x.jar"))).hasMessageContaining("names no variant: [c]");
        assertThatThrownBy(() -> BenchAb.parse(List.of("a", "b"), List.of("a="))).hasMessageContaining("NAME=PATH");
    }
}
