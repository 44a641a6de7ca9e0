package dev.specdiff4j.chat;

import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** JSON in the layout of Python's {@code json.dumps(x, ensure_ascii=False, indent=...)}. */
final class PythonJson {
    private PythonJson() {
    }

    static void write(Object v, int indent, int depth, StringBuilder b) {
        if (v == null) {
            b.append("null");
        } else if (v instanceof Boolean || v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
            b.append(v);
        } else if (v instanceof Number n) {
            double d = n.doubleValue();
            if (d == Math.rint(d) && !Double.isInfinite(d) && Math.abs(d) < 1e16 && !(v instanceof Double || v instanceof Float)) {
                b.append((long) d);
            } else {
                b.append(Double.isNaN(d) ? "NaN" : Double.isInfinite(d) ? (d > 0 ? "Infinity" : "-Infinity") : Double.toString(d));
            }
        } else if (v instanceof CharSequence s) {
            string(s.toString(), b);
        } else if (v instanceof Map<?, ?> map) {
            if (map.isEmpty()) {
                b.append("{}");
                return;
            }
            b.append('{');
            Iterator<? extends Map.Entry<?, ?>> it = map.entrySet().iterator();
            while (it.hasNext()) {
                Map.Entry<?, ?> e = it.next();
                newline(indent, depth + 1, b);
                string(String.valueOf(e.getKey()), b);
                b.append(": ");
                write(e.getValue(), indent, depth + 1, b);
                if (it.hasNext()) b.append(indent < 0 ? ", " : ",");
            }
            newline(indent, depth, b);
            b.append('}');
        } else if (v instanceof Iterable<?> list) {
            Iterator<?> it = list.iterator();
            if (!it.hasNext()) {
                b.append("[]");
                return;
            }
            b.append('[');
            while (it.hasNext()) {
                newline(indent, depth + 1, b);
                write(it.next(), indent, depth + 1, b);
                if (it.hasNext()) b.append(indent < 0 ? ", " : ",");
            }
            newline(indent, depth, b);
            b.append(']');
        } else if (v instanceof Object[] array) {
            write(List.of(array), indent, depth, b);
        } else {
            string(v.toString(), b);
        }
    }

    private static void newline(int indent, int depth, StringBuilder b) {
        if (indent < 0) return;
        b.append('\n').append(" ".repeat(indent * depth));
    }

    private static void string(String s, StringBuilder b) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                default -> {
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        b.append('"');
    }
}
