package dev.specdiff4j.json;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JsonTest {
    @Test
    @SuppressWarnings("unchecked")
    void parsesAllValueKinds() {
        Object v = Json.parse(" {\"a\": [1, -2.5e3, true, false, null, \"x\\u00e9\\n\\\"\"], \"b\": {}, \"c\": 12345678901234567890} ");
        assertThat(v).isInstanceOf(Map.class);
        Map<?, ?> m = (Map<?, ?>) v;
        assertThat((List<Object>) m.get("a")).containsExactly(1L, -2500.0, true, false, null, "xé\n\"");
        assertThat(m.get("b")).isEqualTo(Map.of());
        assertThat(m.get("c")).isInstanceOf(java.math.BigDecimal.class);
    }

    @Test
    void writesWhatItReads() {
        String text = "{\"name\":\"tab\\there \\u0001\",\"list\":[1,2.5,null,true],\"nested\":{\"k\":[]}}";
        assertThat(Json.write(Json.parse(text))).isEqualTo(text);
        assertThat(Json.parse(Json.writePretty(Json.parse(text)))).isEqualTo(Json.parse(text));
    }

    @Test
    void rejectsMalformedInputWithPosition() {
        assertThatThrownBy(() -> Json.parse("{\"a\": 1,}")).isInstanceOf(JsonException.class).hasMessageContaining("line 1");
        assertThatThrownBy(() -> Json.parse("[1 2]")).hasMessageContaining("expected ',' or ']'");
        assertThatThrownBy(() -> Json.parse("\"abc")).hasMessageContaining("unterminated string");
        assertThatThrownBy(() -> Json.parse("01")).hasMessageContaining("unexpected text");
        assertThatThrownBy(() -> Json.parse("{\"a\":1,\"a\":2}")).hasMessageContaining("duplicate key");
        assertThatThrownBy(() -> Json.parse("[".repeat(100_000))).hasMessageContaining("nesting deeper");
        assertThatThrownBy(() -> Json.parse("")).hasMessageContaining("unexpected end");
        assertThatThrownBy(() -> Json.parseObject("[]")).hasMessageContaining("expected a JSON object");
    }
}
